/**
 * Checks that need the whole set: oids are assigned, oids and names are unique, references point to
 * objects of the right kind (in the set or already stored), resources have a default account type.
 */
import type { ConfigObject, ResourceConfig } from '../schema/config';
import type { ConfigProblem } from './config-error';
import { derivedOid } from './oids';
import { findObjectType } from '../model/resources';
import { unknownAssociation } from './association-checks';
import { referencesOf, type ConfigKind } from './references';
import { fieldPathText, writtenPath, type PathSegment } from './value-path';
import type { YamlDocument } from './yaml-documents';

/** An object already stored in the repository, as far as references need it. */
export interface KnownObject {
  kind: ConfigKind;
  oid: string;
  name: string;
  /** An object template that is the default one. */
  default?: boolean;
}

export interface ValidDocument {
  doc: YamlDocument;
  object: ConfigObject;
}

export type ConfigObjectWithOid = ConfigObject & { oid: string };

interface Entry {
  kind: ConfigKind;
  oid: string;
  name: string;
  /** Absent for stored objects. */
  valid?: ValidDocument & { object: ConfigObjectWithOid };
}

const KIND_TEXT: Record<ConfigKind, string> = {
  Resource: 'resource',
  ObjectTemplate: 'object template',
  Role: 'role',
  User: 'user',
};

const whereOf = (e: Entry): string =>
  e.valid ? `${e.valid.doc.file}:${e.valid.doc.lineOf(['name'])}` : 'the repository';

export function checkConfigSet(
  documents: readonly ValidDocument[],
  known: readonly KnownObject[],
): { objects: Array<ValidDocument & { object: ConfigObjectWithOid }>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const report = (d: ValidDocument, zodPath: PathSegment[], message: string) => {
    const path = writtenPath(d.doc.data, zodPath);
    problems.push({ file: d.doc.file, line: d.doc.lineOf(path), field: fieldPathText(path), message });
  };

  const knownByName = new Map(known.map((k) => [`${k.kind}\0${k.name}`, k]));
  const objects = documents.map((d) => {
    const oid = d.object.oid ?? knownByName.get(`${d.object.kind}\0${d.object.name}`)?.oid ?? derivedOid(d.object.kind, d.object.name);
    return { ...d, object: { ...d.object, oid } as ConfigObjectWithOid };
  });

  // Uniqueness inside the set.
  const inSetByOid = new Map<string, Entry>();
  const inSetByName = new Map<string, Entry>();
  objects.forEach((valid, i) => {
    const { kind, oid, name } = valid.object;
    const entry: Entry = { kind, oid, name, valid };
    const sameOid = inSetByOid.get(oid);
    const sameName = inSetByName.get(`${kind}\0${name}`);
    if (sameName) {
      report(valid, ['name'], `duplicate ${KIND_TEXT[kind]} name "${name}" (also at ${whereOf(sameName)})`);
    } else if (sameOid) {
      report(
        valid,
        [documents[i].object.oid === undefined ? 'name' : 'oid'],
        `duplicate oid ${oid}: already used by ${KIND_TEXT[sameOid.kind]} "${sameOid.name}" at ${whereOf(sameOid)}`,
      );
    }
    if (!sameOid) inSetByOid.set(oid, entry);
    if (!sameName) inSetByName.set(`${kind}\0${name}`, entry);
  });

  // Consistency with what is stored. A stored object whose oid is in the set is being replaced (maybe renamed).
  const storedByOid = new Map(known.filter((k) => !inSetByOid.has(k.oid)).map((k) => [k.oid, k]));
  const storedByName = new Map([...storedByOid.values()].map((k) => [`${k.kind}\0${k.name}`, k]));
  for (const valid of objects) {
    const { kind, oid, name } = valid.object;
    const storedOid = known.find((k) => k.oid === oid);
    if (storedOid && storedOid.kind !== kind) {
      report(valid, ['oid'], `oid ${oid} already belongs to the stored ${KIND_TEXT[storedOid.kind]} "${storedOid.name}"`);
    }
    const storedName = storedByName.get(`${kind}\0${name}`);
    if (storedName && storedName.oid !== oid) {
      report(
        valid,
        ['name'],
        `a ${KIND_TEXT[kind]} named "${name}" is already stored with oid ${storedName.oid}; names are unique (use that oid or another name)`,
      );
    }
  }

  const resolve = (kind: ConfigKind, ref: string): Entry | KnownObject | undefined => {
    const byOid = inSetByOid.get(ref) ?? storedByOid.get(ref);
    if (byOid?.kind === kind) return byOid;
    return inSetByName.get(`${kind}\0${ref}`) ?? storedByName.get(`${kind}\0${ref}`);
  };
  const resolveAnyKind = (ref: string): Entry | KnownObject | undefined =>
    inSetByOid.get(ref) ??
    storedByOid.get(ref) ??
    (['Resource', 'ObjectTemplate', 'Role', 'User'] as const).map((k) => resolve(k, ref)).find(Boolean);

  for (const valid of objects) {
    for (const reference of referencesOf(valid.object, valid.doc.data)) {
      const target = resolve(reference.kind, reference.ref);
      if (!target) {
        const other = resolveAnyKind(reference.ref);
        report(
          valid,
          reference.path,
          other
            ? `expected a reference to a ${KIND_TEXT[reference.kind]}, found "${reference.ref}", which is the ${KIND_TEXT[other.kind]} "${other.name}"`
            : `no ${KIND_TEXT[reference.kind]} with oid or name "${reference.ref}" in these files or in the repository`,
        );
        continue;
      }
      const resource = 'valid' in target && target.valid?.object.kind === 'Resource' ? target.valid.object : undefined;
      if (resource && reference.objectType && !hasObjectType(resource, reference.objectType)) {
        const { kind, intent } = reference.objectType;
        report(
          valid,
          [...reference.path.slice(0, -1), 'intent'],
          `resource "${resource.name}" has no ${kind} object type with intent "${intent}"`,
        );
      }
      if (resource && reference.objectType && reference.associations) {
        const type = findObjectType(resource, reference.objectType.kind, reference.objectType.intent);
        reference.associations.forEach((ref, j) => {
          const problem = type ? unknownAssociation(resource, type, ref) : null;
          if (problem) report(valid, [...reference.path.slice(0, -1), 'association', j, 'ref'], problem);
        });
      }
    }
    if (valid.object.kind === 'Resource') checkResource(valid.object, (path, message) => report(valid, path, message));
  }
  checkOneDefaultTemplate(objects, [...storedByOid.values()], report);
  return { objects, problems };
}

const hasObjectType = (resource: ResourceConfig, wanted: { kind: string; intent: string }) => !!findObjectType(resource, wanted.kind, wanted.intent);

function checkResource(resource: ResourceConfig, report: (path: PathSegment[], message: string) => void): void {
  const accountDefaults = resource.schemaHandling.objectType.filter((t) => t.kind === 'account' && t.default);
  if (accountDefaults.length === 0) {
    report(['schemaHandling'], 'expected an object type of kind account with `default: true`, found none');
  } else if (accountDefaults.length > 1) {
    const names = accountDefaults.map((t) => t.name ?? t.intent).join('", "');
    report(['schemaHandling'], `expected one default account object type, found ${accountDefaults.length} ("${names}")`);
  }
  resource.synchronization.forEach((sync, i) => {
    if (!hasObjectType(resource, sync)) {
      report(['synchronization', i, 'intent'], `no ${sync.kind} object type with intent "${sync.intent}" in schemaHandling`);
    }
  });
}

/** At most one object template is the default: a second one (in the files or stored) is named. */
function checkOneDefaultTemplate(
  objects: ReadonlyArray<ValidDocument & { object: ConfigObjectWithOid }>,
  stored: readonly KnownObject[],
  report: (d: ValidDocument, path: PathSegment[], message: string) => void,
): void {
  const first: { name: string; where: string } | undefined = stored
    .filter((k) => k.kind === 'ObjectTemplate' && k.default)
    .map((k) => ({ name: k.name, where: 'the repository' }))[0];
  let seen = first;
  for (const valid of objects) {
    if (valid.object.kind !== 'ObjectTemplate' || valid.object.default !== true) continue;
    if (seen) {
      report(valid, ['default'], `only one object template can be the default; "${seen.name}" (${seen.where}) already is`);
      continue;
    }
    seen = { name: valid.object.name, where: `${valid.doc.file}:${valid.doc.lineOf(['default'])}` };
  }
}
