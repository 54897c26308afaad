/**
 * A Tally with the SCIM push example (examples/scim) applied on its own example resources, and its HTTP API
 * listening: `scim` is the base of its SCIM service provider, which `token` opens.
 */
import path from 'node:path';
import { applyConfig } from '../../src/admin/apply-config';
import { exampleResources } from './example-resources';
import { listenApi, startTally } from './tally-harness';

export async function startScimSource(name: string, token: string) {
  const tally = await startTally(name, { env: { TALLY_SCIM_ENTRA_TOKEN: token } });
  const resources = await exampleResources(tally.stack, `${name.replace(/\W/g, '')}_${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`, { sets: ['scim'] });
  await applyConfig(tally.services.repo, tally.services.key, [...resources.examplesWithoutUsers, path.join(resources.examples, 'scim')]);
  const { api, url } = await listenApi(tally, 'the-api-token');
  return {
    tally,
    resources,
    scim: `${url}/scim/v2`,
    async stop() {
      await api.close();
      await resources.close();
      await tally.stop();
    },
  };
}
