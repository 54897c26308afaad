import type { Repository } from '../repository/repository';
import type { ResourceObject } from '../schema/objects';
import type { ConnectorRegistry } from './connector-registry';
import type { WorkflowStarter } from './workflow-starter';
import type { SecretKey } from '../security/secret-key';

/** What provisioning (and the synchronization routine above it) needs: storage, connectors, workflows. */
export interface ProvisioningDeps {
  repo: Repository;
  connectors: ConnectorRegistry;
  workflows: WorkflowStarter;
  /**
   * The synchronization routine's correlation, used by discovery to find whose an unknown account is
   * (the owner's oid, or null when no single user matches).
   */
  correlate?: (resourceOid: string, object: ResourceObject) => Promise<string | null>;
  /** Seals passwords Tally generates (credentials inbound `generate`). */
  secretKey?: SecretKey;
  /** Injected clock, so tests can pin time. @default () => new Date().toISOString() */
  now?: () => string;
}

export const nowOf = (deps: Pick<ProvisioningDeps, 'now'>) => (deps.now ?? (() => new Date().toISOString()))();
