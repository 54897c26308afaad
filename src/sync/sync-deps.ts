import type { Repository } from '../repository/repository';
import type { ConnectorRegistry } from '../provisioning/connector-registry';
import type { StartOptions } from '../client/workflow-starts';

/** What the synchronization services need: the repository, connectors, and Temporal to hand work on. */
export interface SyncDeps {
  repo: Repository;
  connectors: ConnectorRegistry;
  temporal: StartOptions;
  /** Injected clock, so tests can pin time. @default () => new Date().toISOString() */
  now?: () => string;
}

export const nowOf = (deps: SyncDeps) => (deps.now ?? (() => new Date().toISOString()))();
