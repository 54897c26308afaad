/**
 * Operators' changes of one user (CLI `tally user set|assign|unassign`, HTTP API): validate, store the
 * change as a versioned update, then ask the user's provisionUser workflow to recompute the accounts.
 */
import { randomUUID } from 'node:crypto';
import type { Assignment, Channel } from '../schema/config';
import type { UserDoc } from '../schema/objects';
import {
  assignmentRequestSchema,
  issueList,
  problemsSentence,
  userPropertiesSchema,
  userPropertyChangesSchema,
  type AssignmentRequest,
  type UserPropertyChanges,
} from '../schema/api';
import type { Repository } from '../repository/repository';
import type { Services } from '../runtime/services';
import { encryptSecret } from '../security/secret-box';
import { changeUser } from '../sync/user-changes';
import { applyActivationChanges } from './activation-changes';
import { workflowIds } from '../workflows/workflow-ids';
import { presentUser } from './inspect';
import { isMultiValuedTextUserProperty } from '../model/user-properties';
import { findObjectType } from '../model/resources';

export class UserCommandError extends Error {
  constructor(
    readonly kind: 'invalid' | 'not-found',
    message: string,
    readonly problems: Array<{ field: string; message: string }> = [],
  ) {
    super(message);
    this.name = 'UserCommandError';
  }
}

export interface UserCommandResult {
  user: ReturnType<typeof presentUser>;
  changedPaths: string[];
  /** The provisionUser workflow asked to recompute the accounts; absent when nothing changed. */
  provisioningWorkflowId?: string;
  removedAssignments?: Assignment[];
}

/**
 * `key=value` words of the command line as a property change: `extension/x=1` goes under extension,
 * an empty value clears the property.
 */
export function propertyChangesFromWords(words: string[]): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const word of words) {
    const at = word.indexOf('=');
    if (at <= 0) throw new UserCommandError('invalid', `expected property=value, got '${word}'`);
    const key = word.slice(0, at);
    const value = word.slice(at + 1);
    if (key.startsWith('extension/')) {
      const extension = (changes.extension ??= {}) as Record<string, unknown>;
      extension[key.slice('extension/'.length)] = value;
    } else if (isMultiValuedTextUserProperty(key)) {
      // `organizationalUnit=Crew organizationalUnit=Deck`: the words of one property are its values.
      const values = Array.isArray(changes[key]) ? (changes[key] as string[]) : [];
      changes[key] = value === '' ? values : [...values, value];
    } else if (key.startsWith('activation/')) {
      const activation = (changes.activation ??= {}) as Record<string, unknown>;
      activation[key.slice('activation/'.length)] = value;
    } else if (key.startsWith('credentials/')) {
      throw new UserCommandError('invalid', `a password is never given on the command line: use --password (reads it from standard input) or --password-file`);
    } else {
      changes[key] = value;
    }
  }
  return changes;
}

export function parsePropertyChanges(body: unknown, separator = '.'): UserPropertyChanges {
  const parsed = userPropertyChangesSchema.safeParse(body);
  if (!parsed.success) throw invalid('invalid user properties', parsed.error, separator);
  return parsed.data;
}

/** A new user's properties: the same checks and messages, and none at all is fine. */
export function parseUserProperties(body: unknown, separator = '.'): UserPropertyChanges {
  const parsed = userPropertiesSchema.safeParse(body);
  if (!parsed.success) throw invalid('invalid user properties', parsed.error, separator);
  return parsed.data;
}

export function parseAssignmentRequest(body: unknown): AssignmentRequest {
  const parsed = assignmentRequestSchema.safeParse(body);
  if (!parsed.success) throw invalid('invalid assignment', parsed.error);
  return parsed.data;
}

function invalid(what: string, error: import('zod').ZodError, separator = '.'): UserCommandError {
  const problems = issueList(error, separator);
  return new UserCommandError('invalid', `${what}: ${problemsSentence(problems)}`, problems);
}

/** A password change as stored: sealed with the secret key, with the time it changed. */
export type SealedPasswordChange = { encrypted: string; changedAt: string };

/** Changes as they are applied: the object template named by its oid, a new password sealed. */
export async function storedPropertyChanges(services: Pick<Services, 'repo' | 'key'>, parsed: UserPropertyChanges): Promise<{ changes: UserPropertyChanges; password?: SealedPasswordChange }> {
  const changes = await resolveTemplateRef(services.repo, parsed);
  const plain = changes.credentials?.password.value;
  return { changes, ...(plain === undefined ? {} : { password: { encrypted: encryptSecret(plain, services.key), changedAt: new Date().toISOString() } }) };
}

export function applyProperties(user: UserDoc, changes: UserPropertyChanges, password?: SealedPasswordChange): UserDoc {
  const next: UserDoc = { ...applyActivationChanges(user, changes.activation), ...(password ? { credentials: { ...user.credentials, password } } : {}) };
  const target = next as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'extension' || key === 'activation' || key === 'credentials') continue;
    const values = isMultiValuedTextUserProperty(key) && typeof value === 'string' ? [value] : value;
    if (values === null || values === '' || (Array.isArray(values) && values.length === 0)) delete target[key];
    else target[key] = Array.isArray(values) ? [...new Set(values)] : values;
  }
  if (changes.extension) {
    const extension: Record<string, unknown> = { ...(user.extension ?? {}) };
    for (const [key, value] of Object.entries(changes.extension)) {
      if (value === null || value === '') delete extension[key];
      else extension[key] = value;
    }
    if (Object.keys(extension).length > 0) next.extension = extension;
    else delete next.extension;
  }
  return next;
}

async function requireUser(repo: Repository, ref: string): Promise<UserDoc> {
  const user = await repo.users.byRef(ref);
  if (!user) throw new UserCommandError('not-found', `no user '${ref}'`);
  return user;
}

/** The stored form of a requested assignment; unknown roles and resources (not found) and object types (invalid) are named. */
export async function resolveAssignment(repo: Repository, request: AssignmentRequest): Promise<Assignment> {
  if (request.role) {
    const role = await repo.config.role(request.role);
    if (!role) {
      const known = (await repo.config.snapshot()).roles.map((r) => r.name).sort();
      throw new UserCommandError('not-found', `no role '${request.role}'${known.length ? ` (roles: ${known.join(', ')})` : ''}`, [{ field: 'role', message: `no role '${request.role}'` }]);
    }
    return { targetRef: role.oid };
  }
  const resource = await repo.config.resource(request.resource!);
  if (!resource) {
    const known = (await repo.config.snapshot()).resources.map((r) => r.name).sort();
    throw new UserCommandError('not-found', `no resource '${request.resource}'${known.length ? ` (resources: ${known.join(', ')})` : ''}`, [
      { field: 'resource', message: `no resource '${request.resource}'` },
    ]);
  }
  const kind = request.kind ?? 'account';
  const intent = request.intent ?? 'default';
  if (!findObjectType(resource, kind, intent)) {
    const intents = resource.schemaHandling.objectType.filter((t) => t.kind === kind).map((t) => t.intent);
    throw new UserCommandError(
      'invalid',
      `resource '${resource.name}' has no ${kind} type with intent '${intent}'${intents.length ? ` (intents: ${intents.join(', ')})` : ''}`,
      [{ field: 'intent', message: `no ${kind} type with intent '${intent}' on resource '${resource.name}'` }],
    );
  }
  return { accountConstruction: { resourceRef: resource.oid, kind, intent, attribute: [] } };
}

/** Whether a stored assignment is the requested one, whichever way (oid or name) each refers to its target. */
async function sameAssignment(repo: Repository, stored: Assignment, wanted: Assignment): Promise<boolean> {
  if (wanted.targetRef !== undefined) {
    if (stored.targetRef === undefined) return false;
    if (stored.targetRef === wanted.targetRef) return true;
    return (await repo.config.role(stored.targetRef))?.oid === wanted.targetRef;
  }
  const a = stored.accountConstruction;
  const b = wanted.accountConstruction!;
  if (!a || a.kind !== b.kind || a.intent !== b.intent) return false;
  if (a.resourceRef === b.resourceRef) return true;
  return (await repo.config.resource(a.resourceRef))?.oid === b.resourceRef;
}

/** Stores the change and, if anything changed, asks for the accounts to be recomputed. */
async function changeAndProvision(
  services: Services,
  user: UserDoc,
  channel: Channel,
  change: (current: UserDoc) => UserDoc,
  removedAssignments?: () => Assignment[],
  addedAssignments?: () => Assignment[],
): Promise<UserCommandResult> {
  const changed = await changeUser(services.repo, user.oid, channel, new Date().toISOString(), change);
  if (!changed) throw new UserCommandError('not-found', `user '${user.name}' was deleted meanwhile`);
  const removed = removedAssignments?.() ?? [];
  if (changed.changedPaths.length === 0) return { user: presentUser(changed.after), changedPaths: [] };
  await services.workflows.requestUserProvisioning({
    userOid: user.oid,
    channel,
    changedUserPaths: changed.changedPaths,
    ...(removed.length ? { removedAssignments: removed } : {}),
    ...(addedAssignments ? { addedAssignments: addedAssignments() } : {}),
    requestId: randomUUID(),
  });
  const stored = (await services.repo.users.byRef(user.oid)) ?? changed.after;
  return {
    user: presentUser(stored),
    changedPaths: changed.changedPaths,
    provisioningWorkflowId: workflowIds.provisionUser(user.oid),
    ...(removed.length ? { removedAssignments: removed } : {}),
  };
}

/** A templateRef names a stored object template; it is stored as the template's oid. */
async function resolveTemplateRef(repo: Repository, changes: UserPropertyChanges): Promise<UserPropertyChanges> {
  if (!changes.templateRef) return changes;
  const templates = (await repo.config.snapshot()).objectTemplates;
  const template = templates.find((t) => t.oid === changes.templateRef || t.name === changes.templateRef);
  if (!template) {
    const message = `no object template '${changes.templateRef}'`;
    const known = templates.map((t) => t.name).sort();
    throw new UserCommandError('not-found', `${message}${known.length ? ` (object templates: ${known.join(', ')})` : ''}`, [{ field: 'templateRef', message }]);
  }
  return { ...changes, templateRef: template.oid };
}

export async function setUserProperties(services: Services, ref: string, body: unknown, channel: Channel, separator = '.'): Promise<UserCommandResult> {
  const { changes, password } = await storedPropertyChanges(services, parsePropertyChanges(body, separator));
  const user = await requireUser(services.repo, ref);
  return changeAndProvision(services, user, channel, (current) => applyProperties(current, changes, password));
}

export async function assignToUser(services: Services, ref: string, body: unknown, channel: Channel): Promise<UserCommandResult> {
  const request = parseAssignmentRequest(body);
  const user = await requireUser(services.repo, ref);
  const wanted = await resolveAssignment(services.repo, request);
  const equivalent = new Set([JSON.stringify(wanted)]);
  for (const a of user.assignment) if (await sameAssignment(services.repo, a, wanted)) equivalent.add(JSON.stringify(a));
  let added: Assignment[] = [];
  return changeAndProvision(
    services,
    user,
    channel,
    (current) => {
      added = current.assignment.some((a) => equivalent.has(JSON.stringify(a))) ? [] : [wanted];
      return added.length ? { ...current, assignment: [...current.assignment, wanted] } : current;
    },
    undefined,
    () => added,
  );
}

export async function unassignFromUser(services: Services, ref: string, body: unknown, channel: Channel): Promise<UserCommandResult> {
  const request = parseAssignmentRequest(body);
  const user = await requireUser(services.repo, ref);
  const wanted = await resolveAssignment(services.repo, request);
  const matching = new Set<string>();
  for (const a of user.assignment) if (await sameAssignment(services.repo, a, wanted)) matching.add(JSON.stringify(a));
  if (matching.size === 0) {
    const what = request.role ? `role '${request.role}'` : `an account on resource '${request.resource}'${request.intent ? ` (intent ${request.intent})` : ''}`;
    throw new UserCommandError('not-found', `user '${user.name}' has no assignment of ${what}`);
  }
  let removed: Assignment[] = [];
  return changeAndProvision(
    services,
    user,
    channel,
    (current) => {
      removed = current.assignment.filter((a) => matching.has(JSON.stringify(a)));
      return { ...current, assignment: current.assignment.filter((a) => !matching.has(JSON.stringify(a))) };
    },
    () => removed,
    () => [],
  );
}
