/**
 * One Temporal namespace per Tally instance: workflow ids come from oids (`livesync:<resourceOid>`,
 * `recon:<resourceOid>`, `user:<userOid>`), so two Tallys with the same configuration in one namespace
 * would take each other's workflows. The worker and the API check theirs at start; `tally setup-namespace`
 * creates it with the search attributes Tally's workflows are listed by.
 */
import type { ConnectionLike } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { searchAttributes } from '../workflows/workflow-ids';

/** Tally's custom search attributes, all Keyword. */
export const TALLY_SEARCH_ATTRIBUTES: readonly string[] = Object.values(searchAttributes).map((key) => key.name);

/** What the checks use of a client's or a worker's connection. */
type NamespaceServices = Pick<ConnectionLike, 'workflowService' | 'operatorService'>;

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const GRPC_NOT_FOUND = 5;

export interface NamespaceState {
  exists: boolean;
  /** Tally's search attributes the namespace lacks (all of them when it does not exist). */
  missingSearchAttributes: string[];
}

export async function namespaceState(connection: NamespaceServices, namespace: string): Promise<NamespaceState> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (e) {
    if ((e as { code?: number }).code === GRPC_NOT_FOUND) return { exists: false, missingSearchAttributes: [...TALLY_SEARCH_ATTRIBUTES] };
    throw e;
  }
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return { exists: true, missingSearchAttributes: TALLY_SEARCH_ATTRIBUTES.filter((name) => customAttributes?.[name] !== KEYWORD) };
}

/** What an operator runs to make `namespace` ready for Tally: `tally setup-namespace`, or the Temporal CLI's commands. */
export function namespaceSetupAdvice(address: string, namespace: string, state: NamespaceState): string {
  const target = `--address ${address} --namespace ${namespace}`;
  return [
    `run \`tally setup-namespace\` (with this TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE), or with the Temporal CLI:`,
    ...(state.exists ? [] : [`  temporal operator namespace create ${target}`]),
    `  temporal operator search-attribute create ${target} ${state.missingSearchAttributes.map((n) => `--name ${n}`).join(' ')} --type Keyword`,
  ].join('\n');
}

/** Refuses to start on a namespace that is missing or lacks Tally's search attributes, saying what to run. */
export async function checkTallyNamespace(connection: NamespaceServices, address: string, namespace: string): Promise<void> {
  const state = await namespaceState(connection, namespace);
  if (state.exists && state.missingSearchAttributes.length === 0) return;
  const problem = state.exists
    ? `Temporal namespace '${namespace}' on ${address} lacks Tally's search attributes ${state.missingSearchAttributes.join(', ')}`
    : `Temporal namespace '${namespace}' does not exist on ${address}`;
  throw new Error(`${problem}. Each Tally instance needs a namespace of its own (TEMPORAL_NAMESPACE); ${namespaceSetupAdvice(address, namespace, state)}`);
}

/** Creates the namespace if it does not exist and adds the search attributes it lacks; says what it did. */
export async function setUpTallyNamespace(connection: NamespaceServices, namespace: string, options: { retentionMs: number }): Promise<string[]> {
  const state = await namespaceState(connection, namespace);
  const done: string[] = [];
  if (!state.exists) {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msNumberToTs(options.retentionMs) });
    done.push(`namespace ${namespace} created (closed workflows kept ${Math.round(options.retentionMs / 86_400_000)} days)`);
  }
  if (state.missingSearchAttributes.length > 0) {
    const searchAttributes = Object.fromEntries(state.missingSearchAttributes.map((name) => [name, KEYWORD]));
    await whileNamespaceUnknown(() => connection.operatorService.addSearchAttributes({ namespace, searchAttributes }));
    done.push(`search attributes added: ${state.missingSearchAttributes.join(', ')}`);
  }
  return done.length > 0 ? done : [`namespace ${namespace} is ready: it exists and has Tally's search attributes`];
}

/** A namespace just created is unknown to some of the server's services for a moment (their namespace caches). */
async function whileNamespaceUnknown<T>(call: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if ((e as { code?: number }).code !== GRPC_NOT_FOUND || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
