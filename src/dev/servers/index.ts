export { startSlapd, sshaHash, type SlapdOptions, type SlapdServer } from './slapd';
export { ensureDatabase, startPostgres, type PostgresOptions, type PostgresServer } from './postgres';
export { startFerretDb, type FerretDbOptions, type FerretDbServer } from './ferretdb';
export {
  startTemporalDevServer,
  TALLY_SEARCH_ATTRIBUTES,
  type TemporalDevServerOptions,
  type TemporalDevServer,
} from './temporal';
export { freePort, isPortOpen } from './ports';
export { ServerStartError, logTail } from './process';
export { tools, repoRoot, toolsBinDir, MissingToolError } from './tools';
