/**
 * Tally's metrics as a scrape shows them: every connector call measured (a CSV file's connector here,
 * a real one on a temporary file), failures counted by kind; the live sync lag from behind to caught up.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnector } from '../../../src/connectors';
import { metricsRegistry, liveSyncBehind, liveSyncCaughtUp } from '../../../src/observability/metrics';
import { measuredConnector } from '../../../src/provisioning/measured-connectors';
import { csvConnectorSchema } from '../../../src/schema/config';

/** The value of one sample of the scrape, e.g. `tally_connector_errors_total{resource="HR",kind="not-found"}`. */
async function sample(series: string): Promise<number | undefined> {
  const line = (await metricsRegistry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('every connector call is measured: each call in tally_connector_operation_seconds, each failure in tally_connector_errors_total by kind', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tally-metrics-')), 'people.csv');
  writeFileSync(file, 'id;name\n1;jack\n');
  const connector = measuredConnector('HR', createConnector(csvConnectorSchema.parse({ type: 'csv', file, uniqueAttribute: 'id', nameAttribute: 'name' })));
  try {
    expect((await connector.get({ primaryIdentifier: '1' })).secondaryIdentifier).toBe('jack');
    await expect(connector.get({ primaryIdentifier: '2' })).rejects.toMatchObject({ kind: 'not-found' });
    expect((await connector.search({})).objects).toHaveLength(1);
  } finally {
    await connector.close();
  }
  expect(await sample('tally_connector_operation_seconds_count{resource="HR",operation="get"}')).toBe(2);
  expect(await sample('tally_connector_operation_seconds_count{resource="HR",operation="search"}')).toBe(1);
  expect(await sample('tally_connector_errors_total{resource="HR",kind="not-found"}')).toBe(1);
});

test('the live sync lag counts from the oldest change read and not applied, and is 0 once live sync caught up', async () => {
  const series = 'tally_live_sync_lag_seconds{resource="Directory"}';
  expect(await sample(series)).toBeUndefined();
  liveSyncBehind('Directory', Date.now() - 30_000);
  liveSyncBehind('Directory', Date.now()); // a later poll still behind: the older mark stays
  expect(await sample(series)).toBeGreaterThanOrEqual(30);
  liveSyncCaughtUp('Directory');
  expect(await sample(series)).toBe(0);
  liveSyncBehind('Directory', Date.now() - 5_000);
  expect(await sample(series)).toBeGreaterThanOrEqual(5);
  expect(await sample(series)).toBeLessThan(30);
});
