/** The audit trail: what changed on users, shadows and accounts, for people to read later. */
import type { Collection, Db } from 'mongodb';
import { collectionNames } from './documents';

export interface AuditRecord {
  timestamp: string;
  channel: string;
  objectType: 'user' | 'shadow' | 'account';
  objectOid: string;
  /** What changed; secrets are never written here. */
  delta: unknown;
  workflowId?: string;
  resourceRef?: string;
  message?: string;
}

export class AuditStore {
  private readonly audit: Collection<AuditRecord>;

  constructor(db: Db) {
    this.audit = db.collection(collectionNames.audit);
  }

  async ensureIndexes(): Promise<void> {
    await this.audit.createIndex({ objectOid: 1 });
  }

  async write(records: AuditRecord[]): Promise<void> {
    if (records.length > 0) await this.audit.insertMany(records.map((r) => ({ ...r })));
  }
}
