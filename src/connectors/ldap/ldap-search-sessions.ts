/**
 * The LDAP connector's paged searches in progress, one connection each (OpenLDAP keeps paged-results
 * state per connection). A search is resumable by offset if its connection was lost, it was evicted,
 * or the connector restarted: it is run again and what was handed out is skipped.
 */
import type { Client, Entry } from 'ldapts';
import { decodeCursor, encodeCursor } from '../search-cursor';
import type { LdapConnection } from './ldap-connection';
import { searchPages, type LdapDelineation } from './ldap-delineation';

interface SearchSession {
  client: Client;
  pages: AsyncGenerator<{ searchEntries: Entry[] }>;
  /** The server page asked for while the caller works on the last one handed out. */
  ahead?: Promise<IteratorResult<{ searchEntries: Entry[] }>>;
  buffer: Entry[];
  /** Entries handed out so far. */
  offset: number;
  done: boolean;
  lastUsed: number;
}

export interface SearchCursor {
  id: string;
  offset: number;
}

const MAX_SEARCH_SESSIONS = 8;
/** A search nobody asked for the next page of in this long is abandoned: its connection is closed. */
const SEARCH_SESSION_IDLE_MS = 10 * 60_000;

const isSearchCursor = (c: unknown): c is SearchCursor =>
  typeof (c as SearchCursor)?.id === 'string' && Number.isInteger((c as SearchCursor).offset) && (c as SearchCursor).offset >= 0;

export const encodeSearchCursor = (c: SearchCursor): string => encodeCursor(c);
export const decodeSearchCursor = (cursor: string): SearchCursor => decodeCursor(cursor, isSearchCursor);

export class LdapSearchSessions {
  private readonly sessions = new Map<string, SearchSession>();

  constructor(private readonly connection: LdapConnection) {}

  /**
   * The next `pageSize` entries of the search at `cursor` (of `delineation`, reading `attributes`),
   * and whether more follow. The session is closed when the search is done or fails.
   */
  async nextPage(cursor: SearchCursor, delineation: LdapDelineation, attributes: string[], pageSize: number): Promise<{ entries: Entry[]; more: boolean }> {
    try {
      let s = this.sessions.get(cursor.id);
      if (!s || s.offset !== cursor.offset) {
        // Lost (restart, eviction, connection error) or replayed: search again and skip what was handed out.
        if (s) this.close(cursor.id);
        s = await this.open(cursor.id, delineation, attributes, pageSize);
        await fill(s, cursor.offset);
        s.buffer.splice(0, cursor.offset);
        s.offset = cursor.offset;
      }
      s.lastUsed = Date.now();
      await fill(s, pageSize);
      const entries = s.buffer.splice(0, pageSize);
      s.offset += entries.length;
      const more = !s.done || s.buffer.length > 0;
      if (!more) this.close(cursor.id);
      else if (!s.done && s.buffer.length < pageSize) readAhead(s);
      return { entries, more };
    } catch (e) {
      this.close(cursor.id);
      throw e;
    }
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id);
  }

  close(id: string): void {
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    if (s) void s.client.unbind().catch(() => undefined);
  }

  private async open(id: string, delineation: LdapDelineation, attributes: string[], pageSize: number): Promise<SearchSession> {
    const now = Date.now();
    for (const [other, s] of this.sessions) if (now - s.lastUsed > SEARCH_SESSION_IDLE_MS) this.close(other);
    while (this.sessions.size >= MAX_SEARCH_SESSIONS) {
      const oldest = [...this.sessions.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      this.close(oldest[0]);
    }
    const client = await this.connection.openBoundClient();
    const pages = searchPages(client, delineation, attributes, pageSize);
    const session: SearchSession = { client, pages, buffer: [], offset: 0, done: false, lastUsed: Date.now() };
    this.sessions.set(id, session);
    return session;
  }
}

/** Pulls server pages until more than `count` entries are buffered or the search is done. */
async function fill(s: SearchSession, count: number): Promise<void> {
  while (!s.done && s.buffer.length <= count) {
    const ahead = s.ahead ?? s.pages.next();
    s.ahead = undefined;
    const next = await ahead;
    if (next.done) s.done = true;
    else s.buffer.push(...next.value.searchEntries);
  }
}

/**
 * Asks the server for the next page now, so the server produces it while the run compares the page just
 * handed out. A failure is met by the next `fill`, or not at all if the search is abandoned.
 */
function readAhead(s: SearchSession): void {
  s.ahead = s.pages.next();
  s.ahead.catch(() => undefined);
}
