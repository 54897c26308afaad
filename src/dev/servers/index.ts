export { startSlapd, type SlapdOptions, type SlapdServer } from './slapd';
export { startPostgres, type PostgresOptions, type PostgresServer } from './postgres';
export { freePort, isPortOpen } from './ports';
export { ServerStartError, logTail } from './process';
export { tools, repoRoot, toolsBinDir, MissingToolError } from './tools';
