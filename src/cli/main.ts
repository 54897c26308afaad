/** The `tally` command line. Entry point only: parses arguments and calls admin services. */
import { Command } from 'commander';
import { Connection, WorkflowFailedError } from '@temporalio/client';
import { rootCause } from '../admin/root-cause';
import { loadSettings } from '../runtime/settings';
import { checkTallyNamespace, setUpTallyNamespace } from '../runtime/temporal-namespace';
import { openServices, type Services } from '../runtime/services';
import { applyConfig, requestAppliedRecomputes } from '../admin/apply-config';
import { reportChangeNotification } from '../admin/report-change';
import { findShadows, presentUser } from '../admin/inspect';
import { getAccount } from '../provisioning';
import { stuckOperations } from '../admin/stuck-operations';
import { readPassword } from './read-password';
import { assignToUser, propertyChangesFromWords, setUserProperties, unassignFromUser, type UserCommandResult } from '../admin/user-commands';
import type { ProvisionUserResult } from '../workflows/provision-user';
import type { LiveSyncStatus } from '../workflows/workflow-ids';
import { listRuns, runWorkflowTypes, startResourceRun, waitForRun } from '../admin/resource-runs';
import { formatRunProgress } from './run-progress-line';
import { listReconciliationSchedules, syncReconciliationSchedules } from '../admin/reconciliation-schedules';
import { describeDecision, liveSyncStatuses, signalLiveSync, startAppliedLiveSyncs, startLiveSync, type LiveSyncListing } from '../admin/live-sync';
import { durationSchema, durationToMs } from '../schema/config';
import { summarizeChangeOutcome, type ChangeOutcome } from '../sync/synchronize-change';
import { waitForWorkflowResult } from '../admin/workflow-wait';
import { listResources, listRoles, listTemplates, listUsers } from '../admin/listings';
import { createUser } from '../admin/user-creation';
import { deleteUser } from '../admin/user-deletion';
import { deleteRole } from '../admin/role-deletion';
import { testResource } from '../admin/resource-test';
import { cancelOperation, discardOperation, retryOperation } from '../admin/operation-control';
import { formatSimulationCounts, formatSimulationItem, showSimulation, startSimulatedRun, type SimulationView } from '../admin/simulations';
import { simulateApply } from '../admin/apply-simulation';
import { simulationKinds, type SimulationKind } from '../schema/api';
import { decideRun } from '../admin/run-decisions';
import { safetyOverrideSchema, type SafetyOverride } from '../schema/workflow-inputs';
import os from 'node:os';

async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  // One-shot commands don't repeat the development-key warning: the dev stack, worker and API say it at their start.
  const services = await openServices(loadSettings(), process.env, { devKeyWarning: () => undefined });
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
  .option('--simulate', 'a simulation: store nothing, start nothing, show what the apply would do to the users it recomputes and their accounts (tally simulation show <id> lists each user)')
  .option('--keep-for <duration>', 'with --simulate: how long its results are kept, e.g. 7d, 12h', '7d')
  .option('--json', 'machine-readable output')
  .action(async (opts: { file: string[]; json?: boolean; simulate?: boolean; keepFor: string }) =>
    withServices(async (services) => {
      if (opts.simulate) {
        const { id, applied } = await simulateApply(services, opts.file, { keepFor: durationOption(opts.keepFor, '--keep-for') });
        for (const note of applied.unchecked) console.error(`tally: ${note}`);
        const simulation = await showSimulation(services, id, { limit: 0 });
        const liveSyncs = applied.stored.filter((s) => applied.liveSyncAdded.includes(s.oid));
        return print(!!opts.json, { ...applied, simulation }, () =>
          simulationSummary(`simulation ${id} of tally apply finished: nothing was stored or changed; it would do:`, simulation, [
            ...applied.stored.map((s) => `${s.change.padEnd(9)} ${s.kind} ${s.name} (${s.oid})  ${s.file}`),
            ...liveSyncs.map((l) => `livesync  start    ${l.name} (unless an operator stopped it)`),
          ]).join('\n'),
        );
      }
      const result = await applyConfig(services.repo, services.key, opts.file);
      for (const note of result.unchecked) console.error(`tally: ${note}`);
      await requestAppliedRecomputes(services.workflows, result);
      const schedules = (await syncReconciliationSchedules(services)).filter((s) => s.change !== 'unchanged');
      const applied = await startAppliedLiveSyncs(services, result.liveSyncAdded);
      const liveSyncs = applied.started.filter((l) => !l.running);
      print(!!opts.json, { ...result, schedules, liveSyncs, liveSyncsHeld: applied.held }, () =>
        [
          ...result.stored.map((s) => `${s.change.padEnd(9)} ${s.kind} ${s.name} (${s.oid})  ${s.file}`),
          ...schedules.map((s) => `schedule  ${s.change.padEnd(8)} ${s.scheduleId}  "${s.cron}"  ${s.resource}`),
          ...liveSyncs.map((l) => `livesync  started  ${l.workflowId}  ${l.resourceName}`),
          ...applied.held.map((h) => `livesync  held     ${h.resourceName}: ${describeDecision(h.operatorDecision)} (tally livesync start "${h.resourceName}" starts it)`),
        ].join('\n'),
      );
    }),
  );

program
  .command('change <resource> <account>')
  .description('report a change of an account (its name, e.g. an LDAP DN, or --primary with its stable id)')
  .option('--primary', 'the account is given by its primary identifier')
  .option('--wait', 'wait for the synchronization to finish and print its outcome (says what it waits for while the resource is down)')
  .option('--timeout <duration>', 'with --wait: give up waiting after this long (e.g. 30s); the change is still processed later')
  .option('--json', 'machine-readable output')
  .action(async (resource: string, account: string, opts: { primary?: boolean; wait?: boolean; timeout?: string; json?: boolean }) =>
    withServices(async (services) => {
      const timeoutMs = waitTimeoutOption(opts);
      const started = await reportChangeNotification(
        services,
        opts.primary ? { resource, primaryIdentifier: account } : { resource, account },
        'user',
      );
      const outcomes = opts.wait
        ? await waitForWorkflowResult<ChangeOutcome[]>(services.client, started.workflowId, {
            timeoutMs,
            onWaiting: (details) => console.error(`processChange ${started.workflowId} is waiting: ${details}`),
          })
        : undefined;
      print(!!opts.json, { ...started, outcome: outcomes }, () =>
        [`processChange ${started.workflowId}`, ...(outcomes ?? []).map((o) => `  ${summarizeChangeOutcome(o)}`)].join('\n'),
      );
      const unknown = outcomes?.find((o) => o.found === false);
      if (unknown) throw new Error(summarizeChangeOutcome(unknown));
    }),
  );

const user = program.command('user').description('users');
user
  .command('get <ref>')
  .description('show a user by oid or name')
  .option('--json', 'machine-readable output')
  .action(async (ref: string, opts: { json?: boolean }) =>
    withServices(async (services) => {
      const found = await services.repo.users.byRef(ref);
      if (!found) throw new Error(`no user '${ref}'`);
      print(!!opts.json, presentUser(found), () => JSON.stringify(presentUser(found), null, 2));
    }),
  );

user
  .command('list')
  .description('users in name order, a page at a time')
  .option('--name <substring>', 'only users whose name contains this (any case)')
  .option('--limit <n>', 'users per page (at most 500)', '50')
  .option('--after <cursor>', 'the next page: the cursor the previous page printed')
  .option('--json', 'machine-readable output')
  .action(async (opts: { name?: string; limit: string; after?: string; json?: boolean }) =>
    withServices(async (services) => {
      const listing = await listUsers(services, { name: opts.name, limit: positiveInt(opts.limit, '--limit'), after: opts.after });
      print(!!opts.json, listing, () =>
        [
          ...listing.users.map((u) => `${u.name.padEnd(20)} ${u.oid}  ${u.fullName ?? '-'}  assignments=${u.assignments} accounts=${u.accounts}`),
          ...(listing.users.length === 0 ? ['(no users)'] : []),
          ...(listing.next ? [`more: tally user list --after '${listing.next}'${opts.name ? ` --name '${opts.name}'` : ''} --limit ${opts.limit}`] : []),
        ].join('\n'),
      );
    }),
  );

user
  .command('create <name> [property=value...]')
  .description('create a user (givenName=Will fullName="Will Turner" extension/x=1) with roles, and provision his accounts')
  .option('--assign <role...>', 'roles (name or oid) to assign')
  .option('--wait', 'wait for the provisioning and print the account operations')
  .option('--json', 'machine-readable output')
  .action(async (name: string, words: string[], opts: { assign?: string[]; wait?: boolean; json?: boolean }) =>
    withServices(async (services) =>
      reportUserCommand(services, await createUser(services, { name, properties: propertyChangesFromWords(words), ...(opts.assign ? { assign: opts.assign } : {}) }, 'user', '/'), opts, 'created with'),
    ),
  );

user
  .command('delete <ref>')
  .description('delete a user: his accounts are deprovisioned as his assignments say, then he is removed (workflow deleteUser)')
  .option('--wait', 'wait until his accounts are handled and he is gone (while a resource is down, until it is back)')
  .option('--timeout <duration>', 'with --wait: give up waiting after this long (e.g. 30s); the deletion goes on')
  .option('--json', 'machine-readable output')
  .action(async (ref: string, opts: { wait?: boolean; timeout?: string; json?: boolean }) =>
    withServices(async (services) => {
      const timeoutMs = waitTimeoutOption(opts);
      const deletion = await deleteUser(services, ref, 'user', { wait: opts.wait, timeoutMs, onWaiting: (details) => console.error(details) });
      print(!!opts.json, deletion, () =>
        [
          `deleteUser ${deletion.workflowId} (${deletion.name})`,
          ...(deletion.outcome
            ? [
                ...deletion.outcome.accounts.map((a) => `  ${a.action.padEnd(7)} ${a.resource}: ${a.state}${a.message ? ` (${a.message})` : ''}`),
                deletion.outcome.deleted ? `user ${deletion.name} deleted` : `user ${deletion.name} not deleted yet`,
              ]
            : []),
        ].join('\n'),
      );
      if (deletion.waiting) throw new Error(deletion.waiting);
    }),
  );

program
  .command('role')
  .description('roles: delete')
  .command('delete <ref>')
  .description("delete a role: its own projection (the group it is projected to) is deprovisioned, then the role is removed; a role still assigned is refused unless --unassign")
  .option('--unassign', 'take the role from every user who has it first (his accounts lose what it gave them)')
  .option('--wait', 'wait until its entitlements are deleted and the role is gone')
  .option('--timeout <duration>', 'with --wait: give up waiting after this long (e.g. 30s); the deletion goes on')
  .option('--json', 'machine-readable output')
  .action(async (ref: string, opts: { unassign?: boolean; wait?: boolean; timeout?: string; json?: boolean }) =>
    withServices(async (services) => {
      const deletion = await deleteRole(services, ref, 'user', { unassign: opts.unassign, wait: opts.wait, timeoutMs: waitTimeoutOption(opts), onWaiting: (details) => console.error(details) });
      print(!!opts.json, deletion, () =>
        [
          `provisionRole ${deletion.workflowId} (${deletion.name})`,
          ...(deletion.unassigned.length ? [`  unassigned from ${deletion.unassigned.length} user(s)`] : []),
          ...(deletion.outcome
            ? [...deletion.outcome.entitlements.map((e) => `  ${e}`), deletion.outcome.deleted ? `role ${deletion.name} deleted` : `role ${deletion.name} not deleted yet`]
            : []),
        ].join('\n'),
      );
      if (deletion.waiting) throw new Error(deletion.waiting);
    }),
  );

program
  .command('resources')
  .description('configured resources: connector, live sync and reconciliation settings, shadow counts')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) =>
    withServices(async (services) => {
      const resources = await listResources(services);
      print(!!opts.json, resources, () =>
        resources
          .map((r) =>
            [
              `${r.name}  ${r.oid}  ${r.connectorType}  ${r.endpoint}`,
              `    live sync: ${r.liveSync.configured ? `configured${r.liveSync.interval !== undefined ? `, every ${r.liveSync.interval}` : ''}` : 'not configured'}; reconciliation: ${r.reconciliation.schedule ? `"${r.reconciliation.schedule}"` : 'no schedule'}; enforcement ${r.assignmentPolicyEnforcement}`,
              `    shadows: ${r.shadows.total} (${r.shadows.existing} existing, ${r.shadows.dead} dead, ${r.shadows.pending} with pending operations)`,
            ].join('\n'),
          )
          .join('\n') || '(no resources)',
      );
    }),
  );

const resourceCommand = program.command('resource').description('one resource');
resourceCommand
  .command('test <resource>')
  .description('test a resource: can Tally connect and log in, and are the object class (table) and the mapped attributes (columns) there')
  .option('--json', 'machine-readable output')
  .action(async (ref: string, opts: { json?: boolean }) =>
    withServices(async (services) => {
      const tested = await testResource(services, ref);
      print(!!opts.json, tested, () =>
        [`${tested.resource} (${tested.resourceOid})`, ...tested.checks.map((c) => `  ${c.ok ? 'ok    ' : 'failed'} ${c.check}: ${c.message}`)].join('\n'),
      );
      if (!tested.ok) process.exitCode = 1;
    }),
  );

program
  .command('roles')
  .description('configured roles and what each gives')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) =>
    withServices(async (services) => {
      const roles = await listRoles(services);
      print(!!opts.json, roles, () => roles.map((r) => [`${r.name}  ${r.oid}${r.description ? `  ${r.description}` : ''}`, ...r.inducements.map((i) => `    ${i}`)].join('\n')).join('\n') || '(no roles)');
    }),
  );

program
  .command('templates')
  .description('configured object templates and their mappings')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) =>
    withServices(async (services) => {
      const templates = await listTemplates(services);
      print(!!opts.json, templates, () => templates.map((t) => [`${t.name}  ${t.oid}`, ...t.mappings.map((m) => `    ${m}`)].join('\n')).join('\n') || '(no templates)');
    }),
  );

/** Prints what a user command did; with --wait also the account operations provisionUser handed over. */
async function reportUserCommand(services: Services, result: UserCommandResult, opts: { wait?: boolean; json?: boolean }, verb = 'changed') {
  const provisioning: ProvisionUserResult | undefined =
    opts.wait && result.provisioningWorkflowId ? await services.client.workflow.getHandle(result.provisioningWorkflowId).result() : undefined;
  const resourceNames = new Map((await services.repo.config.snapshot()).resources.map((r) => [r.oid, r.name]));
  print(!!opts.json, { ...result, ...(provisioning ? { provisioning } : {}) }, () =>
    [
      result.changedPaths.length ? `${result.user.name}: ${verb} ${result.changedPaths.join(', ')}` : `${result.user.name}: unchanged`,
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
    'set user properties (fullName="Jack Sparrow", givenName=Jack, title=Captain, templateRef="Default User Template", organizationalUnit=Crew organizationalUnit=Deck, extension/x=1, activation/administrativeStatus=disabled, activation/validTo=2026-12-31T18:00:00Z; an empty value clears) and recompute the accounts',
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
              `${s.secondaryIdentifier ?? '(no name yet)'}  ${s.resourceRef}  owner=${s.ownerRef ?? '-'}  situation=${s.situation ?? '-'}${s.protectedObject ? '  PROTECTED' : ''}${s.dead ? '  DEAD' : ''}`,
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
      const stuck = await stuckOperations(services.client, { repo: services.repo });
      print(!!opts.json, stuck, () =>
        stuck.length === 0
          ? 'nothing is stuck'
          : stuck.map((s) => `${s.state.padEnd(21)} ${s.workflowId}  since ${s.since}\n    ${s.details}`).join('\n'),
      );
    }),
  );

const operation = program.command('operation').description('stuck operations, by the workflow id tally status shows');
for (const [action, what, run] of [
  ['retry', 'run a failed operation again from its start (a waiting account operation, or a change being retried or held as failed: try now); retrying twice is retrying once', retryOperation],
  ['cancel', 'give a stuck operation up: an account\'s pending operations leave its shadow (marked cancelled, audited); tally status no longer lists it', cancelOperation],
  ['discard', 'drop a change that is being retried or held as failed (audited); the changes of its object queued behind it go on (anything else: as cancel)', discardOperation],
] as const) {
  operation
    .command(`${action} <id>`)
    .description(what)
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) =>
      withServices(async (services) => {
        const done = await run(services, id);
        print(!!opts.json, done, () => `${done.done}: ${done.message}`);
      }),
    );
}

const runCommand = program.command('run').description('a reconciliation or import (or live sync) held at its thresholds: decide about what it held');
for (const [decision, what] of [
  ['approve', 'the run does the operations it held (tally simulation show <its run id> lists them), and goes on'],
  ['reject', 'the run ends with none of the operations it held done (live sync stops where it was)'],
] as const) {
  runCommand
    .command(`${decision} <workflowId>`)
    .description(what)
    .option('--reason <text>', 'why, kept with the decision')
    .option('--json', 'machine-readable output')
    .action(async (workflowId: string, opts: { reason?: string; json?: boolean }) =>
      withServices(async (services) => {
        const done = await decideRun(services, workflowId, decision, { by: os.userInfo().username, ...(opts.reason ? { reason: opts.reason } : {}) });
        print(!!opts.json, done, () => done.message);
      }),
    );
}

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
    .option('--simulate', 'a simulation: do nothing, show what the run would do (waits for it, then prints its counts; tally simulation show <id> lists each object)')
    .option('--keep-for <duration>', 'with --simulate: how long its results are kept, e.g. 7d, 12h', '7d')
    .option('--max-deletes <n>', 'this run\'s threshold of account deletions: a number, a share such as 5%, or off (default: the resource\'s safety.maxDeletes)')
    .option('--max-disables <n>', 'the same for account disables (safety.maxDisables)')
    .option('--max-modifies <n>', 'the same for account modifications (safety.maxModifies)')
    .option('--json', 'machine-readable output')
    .action(async (resource: string, opts: { wait?: boolean; pageSize?: string; buckets?: string; json?: boolean; simulate?: boolean; keepFor: string; maxDeletes?: string; maxDisables?: string; maxModifies?: string }) =>
      withServices(async (services) => {
        const safety = safetyOptions(opts);
        const request = { type, resource, pageSize: positiveInt(opts.pageSize, '--page-size'), buckets: positiveInt(opts.buckets, '--buckets'), ...(safety ? { safety } : {}) };
        const started = opts.simulate
          ? await startSimulatedRun(services, { ...request, keepFor: durationOption(opts.keepFor, '--keep-for') })
          : await startResourceRun(services, request);
        const label = `${opts.simulate ? 'simulated ' : ''}${runWorkflowTypes[type]}`;
        if (!opts.json) console.error(`${started.joined ? 'joined the running' : 'started'} ${label} ${started.workflowId} on ${started.resourceName}`);
        if (!opts.wait && !opts.simulate) return print(!!opts.json, started, () => started.workflowId);
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
        if (summary.simulation) {
          const simulation = await showSimulation(services, summary.simulation, { limit: 0 });
          return print(!!opts.json, { ...started, summary, simulation }, () =>
            simulationSummary(`simulation ${simulation.id} of the ${runWorkflowTypes[type]} of ${summary.resource} finished: nothing was changed; it would do:`, simulation).join('\n'),
          );
        }
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

/** A finished simulation for people: what it was, what it would do (`lines`, then its counts), and how to see each object. */
function simulationSummary(heading: string, simulation: SimulationView, lines: string[] = []): string[] {
  return [
    heading,
    ...[...lines, ...formatSimulationCounts(simulation.counts)].map((l) => `  ${l}`),
    `each object: tally simulation show ${simulation.id} [--only ${simulationKinds.join('|')}]`,
  ];
}

const simulation = program.command('simulation').description('simulations (previews) of runs: what they would do');
simulation
  .command('show <id>')
  .description('a simulation\'s counts and, per object, what would happen (by its id or its workflow id)')
  .option('--only <kind>', `only the objects that would do this: ${simulationKinds.join(', ')}`)
  .option('--limit <n>', 'objects per page', '100')
  .option('--after <key>', 'the page after this key (the previous page says it)')
  .option('--json', 'machine-readable output')
  .action(async (id: string, opts: { only?: string; limit: string; after?: string; json?: boolean }) =>
    withServices(async (services) => {
      if (opts.only !== undefined && !(simulationKinds as readonly string[]).includes(opts.only)) {
        throw new Error(`--only: expected one of ${simulationKinds.join(', ')}, got '${opts.only}'`);
      }
      const view = await showSimulation(services, id, { only: opts.only as SimulationKind | undefined, after: opts.after, limit: positiveInt(opts.limit, '--limit') ?? 100 });
      print(!!opts.json, view, () =>
        [
          `simulation ${view.id}: ${view.type === 'recon' ? 'reconciliation' : view.type}${view.resource ? ` of ${view.resource}` : ''}, ${view.state}${view.state === 'running' ? ` (${view.phase}${view.total !== null ? `, ~${view.total} objects` : ''})` : ''}; started ${view.startedAt}, kept until ${view.expiresAt}`,
          ...formatSimulationCounts(view.counts).map((l) => `  ${l}`),
          ...(view.message ? [`  ${view.message}`] : []),
          ...(view.items.length > 0 ? ['', ...view.items.flatMap(formatSimulationItem)] : [`(no objects${opts.only ? ` that would ${opts.only.replace(/s$/, '')}` : ' that would change'}${opts.after ? ' after this key' : ''})`]),
          ...(view.next ? ['', `more: tally simulation show ${view.id} --after '${view.next}'${opts.only ? ` --only ${opts.only}` : ''}`] : []),
        ].join('\n'),
      );
    }),
  );

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
  .description('start polling the resource\'s changelog, or resume it (or say it runs already); ends an operator\'s stop or pause')
  .option('--interval <duration>', 'time between polls when nothing more waits, e.g. 500ms, 1s (default: the resource\'s liveSync.interval, else 1s)')
  .option('--json', 'machine-readable output')
  .action(async (resource: string, opts: { interval?: string; json?: boolean }) =>
    withServices(async (services) => {
      const intervalMs = opts.interval === undefined ? undefined : durationOption(opts.interval, '--interval');
      const started = await startLiveSync(services, resource, { intervalMs });
      print(!!opts.json, started, () => `live sync of ${started.resourceName} ${started.resumed ? 'resumed' : started.running ? 'runs already' : 'started'}: ${started.workflowId}`);
    }),
  );
for (const [action, what] of [
  ['pause', 'pause polling (changes wait in the changelog); it stays paused, whatever tally apply does, until resume or start'],
  ['resume', 'resume polling where it paused'],
  ['stop', 'stop live sync (its position is kept: a start goes on from there); it stays stopped, whatever tally apply does, until start'],
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
  .description('each resource\'s live sync: polling, paused or not running (stopped or paused by operator: when, through which channel), with its counts and position')
  .option('--json', 'machine-readable output')
  .action(async (resource: string | undefined, opts: { json?: boolean }) =>
    withServices(async (services) => {
      const listing = await liveSyncStatuses(services, resource);
      print(!!opts.json, listing, () =>
        listing
          .map((l) =>
            l.status
              ? `${l.resource}: ${l.status.state === 'paused' && l.operatorDecision ? describeDecision(l.operatorDecision) : l.status.state} (${l.workflowId}); ${l.status.polls} polls, ${l.status.changes} changes, ${l.status.applied} applied, ${l.status.handedOver} handed over, last poll ${l.status.lastPollAt ?? 'not yet'}; position ${l.token ?? 'not set'}; ${heldChangesLine(l)}` +
                awaitingLine(l.status, l.workflowId) +
                l.status.lastErrors.map((e) => `\n    error ${e.object}: ${e.message}`).join('')
              : `${l.resource}: ${l.operatorDecision ? describeDecision(l.operatorDecision) : 'not running'}; position ${l.token ?? 'not set'}; ${heldChangesLine(l)}`,
          )
          .join('\n') || '(no resources)',
      );
    }),
  );

/** Why a live sync held at its thresholds waits, and what to do. */
const awaitingLine = ({ awaitingApproval: held }: LiveSyncStatus, workflowId: string | null) =>
  held
    ? `\n    waits for approval: ${held.held} objects held, ${held.reasons.join('; ')}; see them: tally simulation show ${held.simulation}; decide: tally run approve|reject ${workflowId}`
    : '';

/** Changes of the resource retried or held as failed (tally status lists them). */
const heldChangesLine = ({ heldChanges }: LiveSyncListing) => `changes retrying ${heldChanges.retrying}, failed ${heldChanges.failed}`;

/** `--timeout`, which only limits `--wait`. */
function waitTimeoutOption(opts: { wait?: boolean; timeout?: string }): number | undefined {
  if (opts.timeout !== undefined && !opts.wait) throw new Error('--timeout limits --wait: give both, or neither');
  return opts.timeout !== undefined ? durationOption(opts.timeout, '--timeout') : undefined;
}

function durationOption(value: string, option: string): number {
  const parsed = durationSchema.safeParse(/^\d+$/.test(value) ? Number(value) : value);
  if (!parsed.success) throw new Error(`${option}: expected a duration such as 500ms, 1s or 5m, got '${value}'`);
  return durationToMs(parsed.data);
}

/** `--max-deletes` and the others: a run's own thresholds, or nothing when none is given. */
function safetyOptions(opts: { maxDeletes?: string; maxDisables?: string; maxModifies?: string }): SafetyOverride | undefined {
  const given = Object.entries({ maxDeletes: opts.maxDeletes, maxDisables: opts.maxDisables, maxModifies: opts.maxModifies }).filter(([, v]) => v !== undefined);
  if (given.length === 0) return undefined;
  const parsed = safetyOverrideSchema.safeParse(Object.fromEntries(given.map(([k, v]) => [k, /^\d+$/.test(v!) ? Number(v) : v])));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const option = `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new Error(`${option}: expected a number, a share such as 5%, or off`);
  }
  return parsed.data;
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
    const { beginObservability, observeRepository } = await import('../runtime/observability');
    const logger = beginObservability('tally-api', settings);
    const services = await openServices(settings, process.env, { devKeyWarning: (message) => logger.warn(message) });
    observeRepository(services);
    try {
      await checkTallyNamespace(services.client.connection, settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE);
    } catch (e) {
      await services.close();
      throw e;
    }
    // The API (fastify), the dev stack and the worker load only for their commands: every other command starts faster.
    const { buildApi } = await import('../api/server');
    const api = buildApi({ services, token: settings.TALLY_API_TOKEN });
    await api.listen({ host: settings.TALLY_API_HOST, port: settings.TALLY_API_PORT });
    logger.info(`tally api: http://${settings.TALLY_API_HOST}:${settings.TALLY_API_PORT}/api/v1`, { metrics: `http://${settings.TALLY_API_HOST}:${settings.TALLY_API_PORT}/metrics` });
  });

program
  .command('setup-namespace')
  .description("create TEMPORAL_NAMESPACE with Tally's search attributes, or add those it lacks (one namespace per Tally instance)")
  .option('--retention <duration>', 'how long Temporal keeps closed workflows, when the namespace is created', '3d')
  .action(async (opts: { retention: string }) => {
    const settings = loadSettings();
    const retentionMs = durationOption(opts.retention, '--retention');
    const connection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS }).catch((e: Error) => {
      throw new Error(`cannot reach Temporal at ${settings.TEMPORAL_ADDRESS}: ${e.message}`);
    });
    try {
      for (const line of await setUpTallyNamespace(connection, settings.TEMPORAL_NAMESPACE, { retentionMs })) console.log(line);
    } finally {
      await connection.close();
    }
  });

program
  .command('dev')
  .description('start the embedded stack (Temporal dev server + UI, mongod, example LDAP and PostgreSQL resources, worker, API) until Ctrl-C')
  .option('--data-dir <dir>', 'where the stack keeps its data', '.data/dev')
  .option('--examples', 'apply examples/ again (they are applied by themselves only into an empty repository, on the first start)')
  .action(async (opts: { dataDir: string; examples?: boolean }) => (await import('./dev')).runDev({ dataDir: opts.dataDir, examples: opts.examples }));

program.parseAsync(process.argv).catch((e: unknown) => {
  // A failed workflow says why in its innermost cause, not in "Workflow execution failed".
  console.error(`tally: ${e instanceof WorkflowFailedError ? `${e.message}: ${rootCause(e)}` : e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
