export { startSlapd, sshaHash, GROUP_PLACEHOLDER_MEMBER, type SlapdOptions, type SlapdServer } from './slapd';
export { startSamba, type SambaOptions, type SambaServer } from './samba';
export { startScimServer, type ScimServerOptions, type ScimServer } from './scim';
export { removePostgresData, startPostgres, type PostgresOptions, type PostgresServer } from './postgres';
export { startPrometheus, type PrometheusOptions, type PrometheusServer } from './prometheus';
export { startMongod, type MongodOptions, type MongodServer } from './mongod';
export {
  startTemporalDevServer,
  TALLY_SEARCH_ATTRIBUTES,
  type TemporalDevServerOptions,
  type TemporalDevServer,
} from './temporal';
export { freePort, isPortOpen } from './ports';
export { ServerStartError, logTail } from './process';
export { tools, repoRoot, toolsBinDir, MissingToolError } from './tools';
