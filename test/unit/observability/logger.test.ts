import { createLogger, loggerOptions } from '../../../src/observability/logger';
import { loadSettings } from '../../../src/runtime/settings';
import { sdkLogger } from '../../../src/observability/temporal-runtime';

const at = () => new Date('2026-12-04T10:00:00.000Z');

function capture(level: 'debug' | 'info' | 'warn', format: 'json' | 'text') {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level, format, now: at, write: (line) => lines.push(line) }) };
}

test('JSON lines: time, level, message and the fields, a secret among them redacted', () => {
  const { lines, logger } = capture('info', 'json');
  logger.info('resource applied', { resource: 'HR', connector: { bindDn: 'cn=admin', bindPassword: 'hunter2' } });
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0])).toEqual({ time: '2026-12-04T10:00:00.000Z', level: 'info', msg: 'resource applied', resource: 'HR', connector: { bindDn: 'cn=admin', bindPassword: '***' } });
  expect(lines[0]).not.toContain('hunter2');
});

test('readable text lines for development, secrets redacted there too', () => {
  const { lines, logger } = capture('info', 'text');
  logger.warn('cannot reach the resource', { resource: 'My LDAP', token: 's3cret' });
  expect(lines).toEqual(['2026-12-04T10:00:00.000Z WARN  cannot reach the resource resource="My LDAP" token=***']);
});

test('entries below the level are dropped, and the caller can ask before building one', () => {
  const { lines, logger } = capture('info', 'json');
  logger.debug('change applied', { account: 'uid=jack' });
  expect(lines).toEqual([]);
  expect(logger.enabled('debug')).toBe(false);
  expect(logger.enabled('warn')).toBe(true);
  const verbose = capture('debug', 'json');
  verbose.logger.debug('change applied', { account: 'uid=jack' });
  expect(verbose.lines).toHaveLength(1);
});

test('TALLY_LOG_LEVEL and TALLY_LOG_FORMAT: json by default, text with TALLY_DEV=1; a wrong level is refused naming the variable', () => {
  expect(loggerOptions(loadSettings({}), {})).toEqual({ level: 'info', format: 'json' });
  expect(loggerOptions(loadSettings({}), { TALLY_DEV: '1' })).toEqual({ level: 'info', format: 'text' });
  expect(loggerOptions(loadSettings({ TALLY_LOG_LEVEL: 'debug', TALLY_LOG_FORMAT: 'json' }), { TALLY_DEV: '1' })).toEqual({ level: 'debug', format: 'json' });
  expect(() => loadSettings({ TALLY_LOG_LEVEL: 'loud' })).toThrow(/TALLY_LOG_LEVEL/);
});

test("the Temporal SDK's log entries go to Tally's logger at their level, those below the floor dropped", () => {
  const { lines, logger } = capture('debug', 'json');
  const sdk = sdkLogger(logger, 'warn');
  sdk.info('Worker state changed', { state: 'RUNNING' });
  sdk.warn('Activity failed', { activityType: 'pollChangelog' });
  expect(lines.map((l) => JSON.parse(l))).toEqual([{ time: '2026-12-04T10:00:00.000Z', level: 'warn', msg: 'Activity failed', activityType: 'pollChangelog' }]);
});
