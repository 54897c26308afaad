/**
 * The dev stack's examples (`make start`): applied on the first start only, into an empty repository, and
 * left alone after that, so what the user changed since (properties, assignments, accounts) survives a
 * restart. `tally dev --examples` or `tally apply -f examples/` applies them again on purpose.
 */
import { applyConfig } from '../admin/apply-config';
import { liveSyncStatuses, startConfiguredLiveSyncs } from '../admin/live-sync';
import { reportChangeNotification } from '../admin/report-change';
import type { Repository } from '../repository/repository';
import type { Services } from '../runtime/services';

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
  const { resources, roles, objectTemplates, users } = repo.collections;
  const counts: Array<[number, string]> = [
    [await resources.countDocuments(), 'resource'],
    [await roles.countDocuments(), 'role'],
    [await objectTemplates.countDocuments(), 'object template'],
    [await users.countDocuments(), 'user'],
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
    log(`examples already applied, left as they are (the repository holds ${contents}): your changes stay; bin/tally dev --examples or bin/tally apply -f examples/ applies them again`);
    for (const resource of (await services.repo.configSnapshot()).resources.filter((r) => r.liveSync)) {
      const [listing] = await liveSyncStatuses(services, resource.oid);
      log(listing.workflowId ? `live sync of ${resource.name} runs (${listing.workflowId})` : `live sync of ${resource.name} is not running: bin/tally livesync start "${resource.name}" starts it`);
    }
    return 'left';
  }
  const applied = await applyConfig(services.repo, services.key, options.paths);
  applied.unchecked.forEach(log);
  for (const role of applied.rolesToProvision) {
    await services.workflows.requestRoleProvisioning({ roleOid: role.roleOid, channel: 'user', removedAssignments: role.removedAssignments });
  }
  for (const user of applied.usersToProvision) {
    await services.workflows.requestUserProvisioning({ userOid: user.userOid, channel: 'user', changedUserPaths: user.changedUserPaths, removedAssignments: user.removedAssignments, addedAssignments: user.addedAssignments });
  }
  log(`applied examples${contents ? ' again' : ' (first start: the repository was empty)'}: ${applied.stored.map((s) => `${s.kind} ${s.name} (${s.change})`).join(', ')}`);
  // An account linked already (on a start with --examples) is not reported again: its values, read inbound,
  // would race the re-applied user's own values on their way out.
  const linked: string[] = [];
  for (const { resource, account } of options.existingAccounts) {
    if ((await services.repo.shadowByIdentifiers(resource, { secondaryIdentifier: account }))?.ownerRef) continue;
    const started = await reportChangeNotification(services, { resource, account }, 'user');
    await services.client.workflow.getHandle(started.workflowId).result();
    linked.push(account);
  }
  if (linked.length > 0) log(`linked the accounts the example resources held: ${linked.join(', ')}`);
  for (const started of await startConfiguredLiveSyncs(services)) {
    log(`live sync of ${started.resourceName} ${started.running ? 'runs' : 'started'} (${started.workflowId}): changes on it reach Tally by themselves`);
  }
  return 'applied';
}
