/**
 * Simulations (previews of runs): the simulation's document with its counts, its per-object items, and
 * the marks of what it saw on the resource. All of it expires (a TTL index) after the time it is kept.
 */
import type { Collection, Db, Filter } from 'mongodb';
import { collectionNames, duplicateKeyIndexes, noId } from './documents';
import type { SimulationStats, SimulationItem, SimulationKind } from '../model/simulation';
import type { ResourceChange } from '../schema/objects';

export interface SimulationDoc {
  /** The simulation's id (the run's id). */
  id: string;
  /** What was simulated: a reconciliation, an import, a configuration applied, or what live sync held. */
  type: 'recon' | 'import' | 'apply' | 'live-sync';
  /** Not a simulation of its own: the operations a real run (or live sync) held at a threshold, waiting for approval. */
  held?: { reasons: string[] };
  /** A simulated run: its resource (absent for apply). */
  resourceRef?: string;
  resourceName?: string;
  workflowId: string;
  state: 'running' | 'finished' | 'failed';
  phase: string;
  startedAt: string;
  finishedAt?: string;
  stats: SimulationStats;
  /** Objects the resource holds (the stored estimate), for progress. */
  total: number | null;
  message?: string;
  /** When the simulation and its items are removed. */
  expireAt: Date;
}

export interface StoredSimulationItem extends SimulationItem {
  simulationId: string;
  /** The item's place: the same object, the same key (`o/<primary identifier>`, `s/<shadow oid>`...). */
  key: string;
  /** A real run held this object's operations (a threshold): the change to synchronize when approved. */
  held?: { change: ResourceChange };
}

type ItemDoc = StoredSimulationItem & { _id: string; expireAt: Date };
type SeenDoc = { simulationId: string; resourceRef: string; ids: string[]; expireAt: Date };

export class SimulationStore {
  private readonly simulations: Collection<SimulationDoc & { _id: string }>;
  private readonly itemDocs: Collection<ItemDoc>;
  private readonly seen: Collection<SeenDoc>;

  constructor(db: Db) {
    this.simulations = db.collection(collectionNames.simulations);
    this.itemDocs = db.collection(collectionNames.simulationItems);
    this.seen = db.collection(collectionNames.simulationSeen);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.simulations.createIndex({ expireAt: 1 }, { expireAfterSeconds: 0, name: 'simulations_expire' }),
      this.simulations.createIndex({ workflowId: 1 }, { name: 'simulation_by_workflow' }),
      this.itemDocs.createIndex({ expireAt: 1 }, { expireAfterSeconds: 0, name: 'simulation_items_expire' }),
      this.itemDocs.createIndex({ simulationId: 1, kinds: 1, key: 1 }, { name: 'simulation_items_by_kind' }),
      this.itemDocs.createIndex({ simulationId: 1, key: 1 }, { name: 'simulation_items_in_order' }),
      this.seen.createIndex({ expireAt: 1 }, { expireAfterSeconds: 0, name: 'simulation_seen_expire' }),
      this.seen.createIndex({ simulationId: 1 }, { name: 'simulation_seen_marks' }),
    ]);
  }

  /** Creates the simulation's document; a second begin (a retried activity) leaves the first. */
  async begin(doc: SimulationDoc): Promise<void> {
    await this.simulations.updateOne({ _id: doc.id }, { $setOnInsert: { ...doc, _id: doc.id } }, { upsert: true });
  }

  /** By its id, or by the workflow id of its run. */
  async get(ref: string): Promise<SimulationDoc | null> {
    return (await this.simulations.findOne({ _id: ref }, noId)) ?? (await this.simulations.findOne({ workflowId: ref }, { ...noId, sort: { startedAt: -1 } }));
  }

  async recordProgress(id: string, progress: { phase: string; stats: SimulationStats; total?: number }): Promise<void> {
    await this.simulations.updateOne({ _id: id, state: 'running' }, { $set: progress });
  }

  async end(id: string, end: { state: 'finished' | 'failed'; stats: SimulationStats; finishedAt: string; message?: string }): Promise<void> {
    await this.simulations.updateOne({ _id: id }, { $set: { ...end, phase: end.state } });
  }

  /** Stores items; one stored before under the same key (a page done again) is left as it is. */
  async addItems(id: string, expireAt: Date, items: ReadonlyArray<Omit<StoredSimulationItem, 'simulationId'>>): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.itemDocs.insertMany(
        items.map((item) => ({ ...item, simulationId: id, _id: `${id}/${item.key}`, expireAt })),
        { ordered: false },
      );
    } catch (e) {
      if (!duplicateKeyIndexes(e)) throw e;
    }
  }

  /** Items in the order they were recorded, a page at a time after `after` (a key); of one kind with `only`. */
  async items(id: string, options: { only?: SimulationKind; after?: string; limit: number }): Promise<StoredSimulationItem[]> {
    const filter: Record<string, unknown> = { simulationId: id };
    if (options.only) filter.kinds = options.only;
    if (options.after) filter.key = { $gt: options.after };
    return this.itemDocs
      .find(filter as Filter<ItemDoc>, { projection: { _id: 0, expireAt: 0 }, sort: { key: 1 }, limit: options.limit })
      .toArray() as Promise<StoredSimulationItem[]>;
  }

  /** The items a run held, in key order after `after`. */
  async heldItems(id: string, options: { after?: string; limit: number }): Promise<StoredSimulationItem[]> {
    const filter: Record<string, unknown> = { simulationId: id, held: { $exists: true } };
    if (options.after) filter.key = { $gt: options.after };
    return this.itemDocs
      .find(filter as Filter<ItemDoc>, { projection: { _id: 0, expireAt: 0 }, sort: { key: 1 }, limit: options.limit })
      .toArray() as Promise<StoredSimulationItem[]>;
  }

  /** Notes that the simulated run saw these objects on the resource (what a real run marks on shadows). */
  async markSeen(id: string, resourceRef: string, ids: readonly string[], expireAt: Date): Promise<void> {
    if (ids.length > 0) await this.seen.insertOne({ simulationId: id, resourceRef, ids: [...ids], expireAt });
  }

  /** Every object the simulated run saw (its marks, read whole). */
  async seenIds(id: string): Promise<Set<string>> {
    const seen = new Set<string>();
    for await (const doc of this.seen.find({ simulationId: id }, { projection: { _id: 0, ids: 1 } })) for (const seenId of doc.ids) seen.add(seenId);
    return seen;
  }
}
