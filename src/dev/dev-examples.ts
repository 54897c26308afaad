/**
 * The dev stack's examples (`make start`): applied on the first start only, into an empty repository, and
 * left alone after that, so what the user changed since (properties, assignments, accounts) survives a
 * restart. `tally dev --examples` applies them again on purpose.
 */
import path from 'node:path';
import { applyConfig, requestAppliedRecomputes } from '../admin/apply-config';
import { describeDecision, liveSyncStatuses, startAppliedLiveSyncs } from '../admin/live-sync';
import { reportChangeNotification } from '../admin/report-change';
import type { Repository } from '../repository/repository';
import type { Services } from '../runtime/services';

/**
 * The seeds' configuration under `examples/`: the dev stack's resources, template, role and user. Other
 * folders there (`midpoint-sample/`) are sets of their own, for other directories, applied by hand.
 */
export const SEED_EXAMPLE_FOLDERS = ['resources', 'roles', 'templates', 'users'] as const;

export function seedExamplePaths(examplesDir: string): string[] {
  return SEED_EXAMPLE_FOLDERS.map((folder) => path.join(examplesDir, folder));
}

export interface DevExamplesOptions {
  /** The examples' configuration files. */
  paths: string[];
  /** Apply them although the repository holds configuration already (`tally dev --examples`). */
  force?: boolean;
  /** Accounts the example resources hold before Tally knows them: reported once, so they are linked. */
  existingAccounts: Array<{ resource: string; account: string }>;
  log: (line: string) => void;
}

/** What the repository holds, as a phrase ("2 resources, 1 user"); empty when it holds nothing. */
async function repositoryContents(repo: Repository): Promise<string> {
  const counts: Array<[number, string]> = [
    [await repo.config.count('Resource'), 'resource'],
    [await repo.config.count('Role'), 'role'],
    [await repo.config.count('ObjectTemplate'), 'object template'],
    [await repo.users.count(), 'user'],
  ];
  return counts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`)
    .join(', ');
}

export async function setUpDevExamples(services: Services, options: DevExamplesOptions): Promise<'applied' | 'left'> {
  const { log } = options;
  const contents = await repositoryContents(services.repo);
  if (contents && !options.force) {
    log(`examples already applied, left as they are (the repository holds ${contents}): your changes stay; bin/tally dev --examples applies them again`);
    await logLiveSyncs(services, log, []);
    return 'left';
  }
  const applied = await applyConfig(services.repo, services.key, options.paths);
  applied.unchecked.forEach(log);
  await requestAppliedRecomputes(services.workflows, applied);
  log(`applied examples${contents ? ' again' : ' (first start: the repository was empty)'}: ${applied.stored.map((s) => `${s.kind} ${s.name} (${s.change})`).join(', ')}`);
  // An account linked already (on a start with --examples) is not reported again: its values, read inbound,
  // would race the re-applied user's own values on their way out.
  const linked: string[] = [];
  for (const { resource, account } of options.existingAccounts) {
    if ((await services.repo.shadows.byIdentifiers(resource, { secondaryIdentifier: account }))?.ownerRef) continue;
    const started = await reportChangeNotification(services, { resource, account }, 'user');
    await services.client.workflow.getHandle(started.workflowId).result();
    linked.push(account);
  }
  if (linked.length > 0) log(`linked the accounts the example resources held: ${linked.join(', ')}`);
  // As `tally apply`: live sync starts where this apply added it (the first start), and an operator's stop holds.
  const { started } = await startAppliedLiveSyncs(services, applied.liveSyncAdded);
  for (const { resourceName, workflowId } of started.filter((l) => !l.running)) {
    log(`live sync of ${resourceName} started (${workflowId}): changes on it reach Tally by themselves`);
  }
  await logLiveSyncs(services, log, started.filter((l) => !l.running).map((l) => l.resourceOid));
  return 'applied';
}

/** Whether each configured live sync runs, and how to start one that doesn't (those just started are said already). */
async function logLiveSyncs(services: Services, log: (line: string) => void, saidAlready: string[]): Promise<void> {
  for (const resource of (await services.repo.config.snapshot()).resources.filter((r) => r.liveSync && !saidAlready.includes(r.oid))) {
    const [listing] = await liveSyncStatuses(services, resource.oid);
    const held = listing.operatorDecision ? describeDecision(listing.operatorDecision) : null;
    if (listing.workflowId) log(`live sync of ${resource.name} ${held && listing.operatorDecision?.state === 'paused' ? `is ${held}` : 'runs'} (${listing.workflowId})`);
    else log(`live sync of ${resource.name} is ${held ?? 'not running'}: bin/tally livesync start "${resource.name}" starts it`);
  }
}
