/**
 * Loads configuration YAML: files and directories (every *.yaml / *.yml below, sorted), several documents
 * per file. All or nothing: any problem anywhere throws one ConfigError listing every problem found.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configObjectSchema } from '../schema/config';
import { ConfigError, sortProblems, type ConfigProblem } from './config-error';
import { checkConfigSet, type ConfigObjectWithOid, type KnownObject, type ValidDocument } from './cross-check';
import { describeIssues } from './format-issues';
import { parseYamlDocuments, type YamlDocument } from './yaml-documents';
import { fieldPathText, valueAt, writtenPath, type PathSegment } from './value-path';
import { mappingProblems } from '../model/mapping-check';
import { objectTypeProblems } from './association-checks';
import { withIdentifierNames } from '../model/identifier-names';
import { liveSyncUnavailable } from '../model/resources';

export { ConfigError, formatProblem, sortProblems, type ConfigProblem } from './config-error';
export type { ConfigObjectWithOid, KnownObject } from './cross-check';

export interface LoadedObject {
  file: string;
  /** Position of the document in its file, from 0. */
  index: number;
  object: ConfigObjectWithOid;
  /** A problem at a path into the parsed object, with the file, line and field path as written. */
  problemAt(path: readonly PathSegment[], message: string): ConfigProblem;
}

export interface LoadedConfig {
  objects: LoadedObject[];
}

export interface LoadOptions {
  /** Objects already stored: references to them are valid, and their oids are kept for objects of the same name. */
  known?: readonly KnownObject[];
}

export interface ConfigSource {
  file: string;
  text: string;
}

const isConfigFile = (name: string) => /\.ya?ml$/i.test(name);

function collectFiles(path: string, problems: ConfigProblem[]): string[] {
  let stats;
  try {
    stats = statSync(path);
  } catch (e) {
    problems.push({ file: path, message: `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
    return [];
  }
  if (!stats.isDirectory()) return [path];
  const found = readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter(isConfigFile)
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile())
    .sort();
  if (found.length === 0) problems.push({ file: path, message: 'no *.yaml or *.yml files in this directory' });
  return found;
}


export function loadConfigFiles(paths: readonly string[], options: LoadOptions = {}): LoadedConfig {
  const problems: ConfigProblem[] = [];
  const files = [...new Set(paths.flatMap((p) => collectFiles(p, problems)))];
  const sources: ConfigSource[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: readFileSync(file, 'utf8') });
    } catch (e) {
      problems.push({ file, message: `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
  return loadConfigSources(sources, options, problems);
}

/** The same as loadConfigFiles, for YAML that did not come from files (e.g. an API request body). */
export function loadConfigSources(
  sources: readonly ConfigSource[],
  options: LoadOptions = {},
  earlierProblems: readonly ConfigProblem[] = [],
): LoadedConfig {
  const problems: ConfigProblem[] = [...earlierProblems];
  const valid: ValidDocument[] = [];
  for (const source of sources) {
    const parsed = parseYamlDocuments(source.file, source.text);
    problems.push(...parsed.problems);
    for (const doc of parsed.documents) {
      const result = configObjectSchema.safeParse(doc.data);
      if (result.success) {
        valid.push({ doc, object: result.data.kind === 'Resource' ? withIdentifierNames(result.data) : result.data });
        continue;
      }
      for (const p of describeIssues(result.error.issues, doc.data, configObjectSchema)) {
        problems.push({ file: doc.file, line: doc.lineOf(p.path), field: p.field, message: p.message });
      }
    }
  }
  for (const { doc, object } of valid) {
    for (const p of [...mappingProblems(object), ...objectTypeProblems(object)]) problems.push(problemIn(doc, p.path, p.message));
    const noLiveSync = object.kind === 'Resource' && object.liveSync ? liveSyncUnavailable(object) : null;
    if (noLiveSync) problems.push(problemIn(doc, ['liveSync'], noLiveSync));
  }
  // Cross-object checks on a partly broken set would report references into the broken files as dangling.
  if (problems.length > 0) throw new ConfigError(sortProblems(problems));
  const checked = checkConfigSet(valid, options.known ?? []);
  if (checked.problems.length > 0) throw new ConfigError(sortProblems(checked.problems));
  return {
    objects: checked.objects.map((o) => ({ file: o.doc.file, index: o.doc.index, object: o.object, problemAt: (path, message) => problemIn(o.doc, path, message) })),
  };
}

function problemIn(doc: YamlDocument, parsedPath: readonly PathSegment[], message: string): ConfigProblem {
  const path = writtenPath(doc.data, asWritten(doc.data, parsedPath));
  return { file: doc.file, line: doc.lineOf(path), field: fieldPathText(path), message };
}

/**
 * Point back at the written key where the parsed object renames it: a resource lists `accountType` entries
 * after `objectType` ones; a construction may be written `construction` or `accountConstruction`.
 */
function asWritten(data: unknown, path: readonly PathSegment[]): PathSegment[] {
  if (path[0] !== 'schemaHandling' || path[1] !== 'objectType' || typeof path[2] !== 'number') return withConstructionKeys(data, path);
  const written = valueAt(data, ['schemaHandling', 'objectType']);
  const before = written === undefined ? 0 : Array.isArray(written) ? written.length : 1;
  return path[2] < before ? [...path] : ['schemaHandling', 'accountType', path[2] - before, ...path.slice(3)];
}

const CONSTRUCTION_KEYS = ['construction', 'accountConstruction'];

function withConstructionKeys(data: unknown, path: readonly PathSegment[]): PathSegment[] {
  return path.map((segment, i) => {
    if (typeof segment !== 'string' || !CONSTRUCTION_KEYS.includes(segment)) return segment;
    const holder = valueAt(data, writtenPath(data, path.slice(0, i)));
    const written = CONSTRUCTION_KEYS.find((key) => holder !== null && typeof holder === 'object' && key in holder);
    return written ?? segment;
  });
}
