/** The `tally` command line. Entry point only: parses arguments and calls admin services. */
import { Command } from 'commander';
import { loadSettings } from '../runtime/settings';
import { openServices, type Services } from '../runtime/services';
import { applyConfig } from '../admin/apply-config';
import { reportChangeNotification } from '../admin/report-change';
import { findShadows, presentUser } from '../admin/inspect';
import { runDev } from './dev';
import { getAccount } from '../provisioning';
import { stuckOperations } from '../admin/stuck-operations';
import { buildApi } from '../api/server';
import { readPassword } from './read-password';
import { assignToUser, propertyChangesFromWords, setUserProperties, unassignFromUser, type UserCommandResult } from '../admin/user-commands';
import type { ProvisionUserResult } from '../workflows/provision-user';
import { listRuns, runWorkflowTypes, startResourceRun, waitForRun } from '../admin/resource-runs';
import { formatRunProgress } from './run-progress-line';
import { listReconciliationSchedules, syncReconciliationSchedules } from '../admin/reconciliation-schedules';
import { liveSyncStatuses, signalLiveSync, startConfiguredLiveSyncs, startLiveSync } from '../admin/live-sync';
import { durationSchema, durationToMs } from '../schema/config';

async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  const services = await openServices(loadSettings());
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

function print(json: boolean, value: unknown, text: () => string) {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

const program = new Command('tally').description('Identity synchronization on Temporal and MongoDB');

program
  .command('apply')
  .description('validate configuration files (YAML) and store them; nothing is stored if any file is invalid')
  .requiredOption('-f, --file <paths...>', 'files or directories')
  .option('--json', 'machine-readable output')
  .action(async (opts: { file: string[]; json?: boolean }) =>
    withServices(async (services) => {
      const result = await applyConfig(services.repo, services.key, opts.file);
      for (const user of result.usersToProvision) {
        await services.workflows.requestUserProvisioning({ userOid: user.userOid, channel: 'user', changedUserPaths: user.changedUserPaths, removedAssignments: user.removedAssignments });
      }
      const schedules = (await syncReconciliationSchedules(services)).filter((s) => s.change !== 'unchanged');
      const liveSyncs = (await startConfiguredLiveSyncs(services)).filter((l) => !l.running);
      print(!!opts.json, { ...result, schedules, liveSyncs }, () =>
        [
          ...result.stored.map((s) => `${s.change.padEnd(9)} ${s.kind} ${s.name} (${s.oid})  ${s.file}`),
          ...schedules.map((s) => `schedule  ${s.change.padEnd(8)} ${s.scheduleId}  "${s.cron}"  ${s.resource}`),
          ...liveSyncs.map((l) => `livesync  started  ${l.workflowId}  ${l.resourceName}`),
        ].join('\n'),
      );
    }),
  );

program
  .command('change <resource> <account>')
  .description('report a change of an account (its name, e.g. an LDAP DN, or --primary with its stable id)')
  .option('--primary', 'the account is given by its primary identifier')
  .option('--wait', 'wait for the synchronization to finish and print its outcome')
  .option('--json', 'machine-readable output')
  .action(async (resource: string, account: string, opts: { primary?: boolean; wait?: boolean; json?: boolean }) =>
    withServices(async (services) => {
      const started = await reportChangeNotification(
        services,
        opts.primary ? { resource, primaryIdentifier: account } : { resource, account },
        'api',
      );
      const outcome = opts.wait ? await services.client.workflow.getHandle(started.workflowId).result() : undefined;
      print(!!opts.json, { ...started, outcome }, () =>
        `processChange ${started.workflowId}` + (outcome ? `\n${JSON.stringify(outcome, null, 2)}` : ''),
      );
    }),
  );

const user = program.command('user').description('users');
user
  .command('get <ref>')
  .description('show a user by oid or name')
  .option('--json', 'machine-readable output')
  .action(async (ref: string, opts: { json?: boolean }) =>
    withServices(async (services) => {
      const found = await services.repo.userByRef(ref);
      if (!found) throw new Error(`no user '${ref}'`);
      print(!!opts.json, presentUser(found), () => JSON.stringify(presentUser(found), null, 2));
    }),
  );

/** Prints what a user command did; with --wait also the account operations provisionUser handed over. */
async function reportUserCommand(services: Services, result: UserCommandResult, opts: { wait?: boolean; json?: boolean }) {
  const provisioning: ProvisionUserResult | undefined =
    opts.wait && result.provisioningWorkflowId ? await services.client.workflow.getHandle(result.provisioningWorkflowId).result() : undefined;
  const resourceNames = new Map((await services.repo.configSnapshot()).resources.map((r) => [r.oid, r.name]));
  print(!!opts.json, { ...result, ...(provisioning ? { provisioning } : {}) }, () =>
    [
      result.changedPaths.length ? `${result.user.name}: changed ${result.changedPaths.join(', ')}` : `${result.user.name}: unchanged`,
      ...(result.provisioningWorkflowId ? [`provisionUser ${result.provisioningWorkflowId}`] : []),
      ...(provisioning
        ? provisioning.accountOperations.length
          ? provisioning.accountOperations.map((op) => `  ${op.action.padEnd(6)} ${resourceNames.get(op.resourceRef) ?? op.resourceRef}: ${op.reason}`)
          : ['  no account operations']
        : []),
    ].join('\n'),
  );
}

interface AssignmentOptions {
  resource?: string;
  kind?: string;
  intent?: string;
  wait?: boolean;
  json?: boolean;
}

const assignmentBody = (role: string | undefined, opts: AssignmentOptions) => ({
  ...(role !== undefined ? { role } : {}),
  ...(opts.resource !== undefined ? { resource: opts.resource } : {}),
  ...(opts.kind !== undefined ? { kind: opts.kind } : {}),
  ...(opts.intent !== undefined ? { intent: opts.intent } : {}),
});

user
  .command('set <ref> [property=value...]')
  .description(
    'set user properties (fullName="Jack Sparrow", givenName=Jack, extension/x=1, activation/administrativeStatus=disabled, activation/validTo=2026-12-31T18:00:00Z; an empty value clears) and recompute the accounts',
  )
  .option('--password', 'set a new password, typed at a prompt or read from standard input (one line)')
  .option('--password-file <path>', 'set a new password, read from the first line of this file')
  .option('--wait', 'wait for the recomputation and print the account operations it handed over')
  .option('--json', 'machine-readable output')
  .action(async (ref: string, words: string[], opts: { password?: boolean; passwordFile?: string; wait?: boolean; json?: boolean }) => {
    const changes = propertyChangesFromWords(words);
    if (opts.password || opts.passwordFile !== undefined) changes.credentials = { password: { value: await readPassword({ file: opts.passwordFile }) } };
    await withServices(async (services) => reportUserCommand(services, await setUserProperties(services, ref, changes, 'user', '/'), opts));
  });

for (const [name, description, command] of [
  ['assign', 'assign a role (by name or oid), or with --resource an account on a resource, and provision it', assignToUser],
  ['unassign', 'remove a role or resource assignment; accounts no other assignment needs are deleted', unassignFromUser],
] as const) {
  user
    .command(`${name} <ref> [role]`)
    .description(description)
    .option('--resource <resource>', 'a resource (oid or name): a direct account assignment instead of a role')
    .option('--kind <kind>', 'with --resource: account (default), entitlement or generic')
    .option('--intent <intent>', 'with --resource: the object type intent (default: default)')
    .option('--wait', 'wait for the recomputation and print the account operations it handed over')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, role: string | undefined, opts: AssignmentOptions) =>
      withServices(async (services) => reportUserCommand(services, await command(services, ref, assignmentBody(role, opts), 'user'), opts)),
    );
}

program
  .command('account <shadowOid>')
  .description('read an account through its shadow: pending operations are finished first when the resource is up; while it is down, the shadow as Tally knows it')
  .option('--wait-ms <ms>', 'how long to wait for pending operations', '30000')
  .option('--json', 'machine-readable output')
  .action(async (shadowOid: string, opts: { waitMs: string; json?: boolean }) =>
    withServices(async (services) => {
      const got = await getAccount(services.syncDeps, shadowOid, { waitMs: Number(opts.waitMs) });
      print(!!opts.json, got, () =>
        [
          `${got.state}${got.resourceUp ? '' : ' (resource down)'}: ${got.message}`,
          JSON.stringify(got.account ?? got.shadow, null, 2),
        ].join('\n'),
      );
    }),
  );

program
  .command('shadows')
  .description('list shadows (accounts Tally knows), optionally only those with pending operations')
  .option('--resource <ref>', 'resource oid or name')
  .option('--pending', 'only shadows with pending operations')
  .option('--json', 'machine-readable output')
  .action(async (opts: { resource?: string; pending?: boolean; json?: boolean }) =>
    withServices(async (services) => {
      const shadows = await findShadows(services.repo, opts);
      print(!!opts.json, shadows, () =>
        shadows
          .map((s) =>
            [
              `${s.secondaryIdentifier ?? '(no name yet)'}  ${s.resourceRef}  owner=${s.ownerRef ?? '-'}  situation=${s.situation ?? '-'}${s.dead ? '  DEAD' : ''}`,
              ...s.pendingOperations.map(
                (op) => `    pending ${op.type}: attempt ${op.attemptNumber}, ${op.result.status}${op.result.message ? `: ${op.result.message}` : ''}`,
              ),
            ].join('\n'),
          )
          .join('\n') || '(none)',
      );
    }),
  );

program
  .command('status')
  .description('operations that are not moving: waiting for a resource, or failed, with what they wait for')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) =>
    withServices(async (services) => {
      const stuck = await stuckOperations(services.client);
      print(!!opts.json, stuck, () =>
        stuck.length === 0
          ? 'nothing is stuck'
          : stuck.map((s) => `${s.state.padEnd(21)} ${s.workflowId}  since ${s.since}\n    ${s.details}`).join('\n'),
      );
    }),
  );

for (const [type, name, what] of [
  ['recon', 'reconcile', 'reconcile a resource: finish its pending operations, compare every object with its shadow and owner, and find accounts deleted behind Tally\'s back'],
  ['import', 'import', 'import a resource: every account handled as if just created (unmatched -> new user, unlinked -> linked, linked -> synchronized); accounts that already agree need nothing'],
] as const) {
  program
    .command(`${name} <resource>`)
    .description(what)
    .option('--wait', 'follow the run with a progress bar until it ends, then print its statistics')
    .option('--page-size <n>', 'objects read per page (default: the resource\'s reconciliation.pageSize, else 1000)')
    .option('--buckets <n>', 'split the run over this many child workflows (default: the resource\'s reconciliation.buckets, else 1)')
    .option('--json', 'machine-readable output')
    .action(async (resource: string, opts: { wait?: boolean; pageSize?: string; buckets?: string; json?: boolean }) =>
      withServices(async (services) => {
        const started = await startResourceRun(services, { type, resource, pageSize: positiveInt(opts.pageSize, '--page-size'), buckets: positiveInt(opts.buckets, '--buckets') });
        if (!opts.json) console.error(`${started.joined ? 'joined the running' : 'started'} ${runWorkflowTypes[type]} ${started.workflowId} on ${started.resourceName}`);
        if (!opts.wait) return print(!!opts.json, started, () => started.workflowId);
        const interactive = process.stderr.isTTY && !opts.json;
        let lastLogged = 0;
        const summary = await waitForRun(services, started.workflowId, (progress) => {
          const line = formatRunProgress(progress, Date.now());
          if (interactive) process.stderr.write(`\r\x1b[2K${line}`);
          else if (!opts.json && Date.now() - lastLogged > 5000) {
            lastLogged = Date.now();
            console.error(line);
          }
        });
        if (interactive) process.stderr.write('\n');
        print(!!opts.json, { ...started, summary }, () =>
          [
            `${runWorkflowTypes[type]} of ${summary.resource} finished: ${formatRunProgress(summary, Date.now())}`,
            `counts: ${Object.entries(summary.stats).map(([k, v]) => `${k}=${v}`).join(' ')}`,
            ...summary.lastErrors.map((e) => `  error ${e.object}: ${e.message}`),
          ].join('\n'),
        );
      }),
    );
}

program
  .command('runs [resource]')
  .description('reconciliation and import runs, newest first, with their counts')
  .option('--limit <n>', 'how many', '20')
  .option('--json', 'machine-readable output')
  .action(async (resource: string | undefined, opts: { limit: string; json?: boolean }) =>
    withServices(async (services) => {
      const runs = await listRuns(services, { resource, limit: positiveInt(opts.limit, '--limit') });
      print(!!opts.json, runs, () =>
        runs
          .map((r) =>
            [
              `${r.startedAt}  ${r.type.padEnd(6)} ${r.state.padEnd(9)} ${r.resourceName}  (${r.phase}${r.finishedAt ? `, finished ${r.finishedAt}` : ''})  ${r.workflowId}`,
              `    ${Object.entries(r.stats).map(([k, v]) => `${k}=${v}`).join(' ') || 'no counts yet'}${r.message ? `\n    ${r.message}` : ''}`,
              ...r.errors.slice(-5).map((e) => `    error ${e.object}: ${e.message}`),
            ].join('\n'),
          )
          .join('\n') || '(no runs)',
      );
    }),
  );

program
  .command('schedules')
  .description('reconciliation schedules (a resource\'s reconciliation.schedule, kept by tally apply) with their next runs')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) =>
    withServices(async (services) => {
      const schedules = await listReconciliationSchedules(services);
      print(!!opts.json, schedules, () =>
        schedules
          .map((s) => `${s.resource}  "${s.cron}"${s.paused ? '  PAUSED' : ''}  ${s.scheduleId}\n    next: ${s.nextRuns.join(', ') || '-'}`)
          .join('\n') || '(no schedules)',
      );
    }),
  );

const livesync = program.command('livesync').description('live synchronization from resources\' changelogs');
livesync
  .command('start <resource>')
  .description('start polling the resource\'s changelog (or say it runs already)')
  .option('--interval <duration>', 'time between polls when nothing more waits, e.g. 500ms, 1s (default: the resource\'s liveSync.interval, else 1s)')
  .option('--json', 'machine-readable output')
  .action(async (resource: string, opts: { interval?: string; json?: boolean }) =>
    withServices(async (services) => {
      const intervalMs = opts.interval === undefined ? undefined : durationOption(opts.interval, '--interval');
      const started = await startLiveSync(services, resource, { intervalMs });
      print(!!opts.json, started, () => `live sync of ${started.resourceName} ${started.running ? 'runs already' : 'started'}: ${started.workflowId}`);
    }),
  );
for (const [action, what] of [
  ['pause', 'pause polling (changes wait in the changelog)'],
  ['resume', 'resume polling where it paused'],
  ['stop', 'stop live sync (its position is kept: a start goes on from there)'],
] as const) {
  livesync
    .command(`${action} <resource>`)
    .description(what)
    .action(async (resource: string) =>
      withServices(async (services) => {
        const done = await signalLiveSync(services, resource, action);
        if (!done.workflowId) throw new Error(`no live sync runs for ${done.resourceName} (tally livesync start ${done.resourceName})`);
        console.log(`live sync of ${done.resourceName}: ${action} sent to ${done.workflowId}`);
      }),
    );
}
livesync
  .command('status [resource]')
  .description('each resource\'s live sync: polling, paused or not running, with its counts and position')
  .option('--json', 'machine-readable output')
  .action(async (resource: string | undefined, opts: { json?: boolean }) =>
    withServices(async (services) => {
      const listing = await liveSyncStatuses(services, resource);
      print(!!opts.json, listing, () =>
        listing
          .map((l) =>
            l.status
              ? `${l.resource}: ${l.status.state} (${l.workflowId}); ${l.status.polls} polls, ${l.status.changes} changes, ${l.status.applied} applied, ${l.status.handedOver} handed over, last poll ${l.status.lastPollAt ?? 'not yet'}; position ${l.token ?? 'not set'}` +
                l.status.lastErrors.map((e) => `\n    error ${e.object}: ${e.message}`).join('')
              : `${l.resource}: not running; position ${l.token ?? 'not set'}`,
          )
          .join('\n') || '(no resources)',
      );
    }),
  );

function durationOption(value: string, option: string): number {
  const parsed = durationSchema.safeParse(/^\d+$/.test(value) ? Number(value) : value);
  if (!parsed.success) throw new Error(`${option}: expected a duration such as 500ms, 1s or 5m, got '${value}'`);
  return durationToMs(parsed.data);
}

function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${option}: expected a whole number of at least 1, got '${value}'`);
  return n;
}

program
  .command('worker')
  .description('run the Temporal worker')
  .action(async () => {
    await import('../worker').then((m) => m.runWorkerMain());
  });

program
  .command('api')
  .description('serve the HTTP API (needs TALLY_API_TOKEN)')
  .action(async () => {
    const settings = loadSettings();
    if (!settings.TALLY_API_TOKEN) throw new Error('TALLY_API_TOKEN is not set: the API accepts only requests with this bearer token');
    const services = await openServices(settings);
    const api = buildApi({ services, token: settings.TALLY_API_TOKEN });
    await api.listen({ host: settings.TALLY_API_HOST, port: settings.TALLY_API_PORT });
    console.log(`tally api: http://${settings.TALLY_API_HOST}:${settings.TALLY_API_PORT}/api/v1`);
  });

program
  .command('dev')
  .description('start the embedded stack (Temporal dev server + UI, mongod, example LDAP and PostgreSQL resources, worker, API) until Ctrl-C')
  .option('--data-dir <dir>', 'where the stack keeps its data', '.data/dev')
  .action(async (opts: { dataDir: string }) => runDev({ dataDir: opts.dataDir }));

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`tally: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
