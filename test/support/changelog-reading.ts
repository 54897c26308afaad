/** Reading a connector's changelog to its end, and counting what the directory sent for it. */
import type { Client, SearchOptions } from 'ldapts';
import type { Connector, ConnectorChange } from '../../src/connectors/connector-types';

export interface EntryCounter {
  /** Entries received so far by the searches counted. */
  readonly entries: number;
  restore(): void;
}

/** Counts the entries a real ldapts client class receives from the paged searches `counted` picks, until restored. */
export function countSearchedEntries(clientClass: { prototype: Client }, counted: (base: string, options?: SearchOptions) => boolean): EntryCounter {
  let entries = 0;
  const searchPaginated = clientClass.prototype.searchPaginated;
  const spy = jest.spyOn(clientClass.prototype, 'searchPaginated').mockImplementation(async function* (this: Client, base, options, controls) {
    for await (const page of searchPaginated.call(this, base, options, controls)) {
      if (counted(String(base), options)) entries += page.searchEntries.length;
      yield page;
    }
  });
  return {
    get entries() {
      return entries;
    },
    restore: () => spy.mockRestore(),
  };
}

/** The changes after `start`, a page of at most `limit` per poll until a poll finds none; the entries each poll cost. */
export async function readChangesToEnd(connector: Connector, start: string, limit: number, counter: EntryCounter): Promise<{ changes: ConnectorChange[]; token: string; entriesByPoll: number[] }> {
  const changes: ConnectorChange[] = [];
  const entriesByPoll: number[] = [];
  let token = start;
  for (;;) {
    const before = counter.entries;
    const page = await connector.changesSince(token, limit);
    entriesByPoll.push(counter.entries - before);
    if (page.changes.length === 0) return { changes, token, entriesByPoll };
    expect(page.changes.length).toBeLessThanOrEqual(limit);
    changes.push(...page.changes);
    token = page.token;
  }
}
