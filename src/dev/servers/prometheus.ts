import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, retryOnPortClash } from './ports';
import { startServer, type ServerControl } from './process';
import { tools } from './tools';

export interface PrometheusOptions {
  /** Holds prometheus.yml, the TSDB (data/) and prometheus.log. */
  dataDir: string;
  port?: number;
  /** The metrics endpoints it scrapes (`http://host:port/metrics`), one job `tally`. */
  targets: string[];
  /** @default '1s' */
  scrapeInterval?: string;
  startTimeoutMs?: number;
}

/** A private Prometheus (Debian's `prometheus` package) scraping the given endpoints. */
export interface PrometheusServer extends ServerControl {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
}

function scrapeConfig(targets: readonly string[], interval: string): string {
  const hosts = targets.map((t) => new URL(t));
  const paths = new Set(hosts.map((u) => u.pathname));
  if (paths.size > 1) throw new Error(`prometheus: every target must have the same metrics path, got ${[...paths].join(', ')}`);
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: tally',
    `    metrics_path: ${[...paths][0] ?? '/metrics'}`,
    '    static_configs:',
    `      - targets: [${hosts.map((u) => `'${u.host}'`).join(', ')}]`,
    '',
  ].join('\n');
}

async function answersReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/-/ready`).catch(() => null);
  return response?.ok ?? false;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  return retryOnPortClash(options, startPrometheusOnce);
}

async function startPrometheusOnce(options: PrometheusOptions): Promise<PrometheusServer> {
  const dataDir = path.resolve(options.dataDir);
  const logFile = path.join(dataDir, 'prometheus.log');
  const configFile = path.join(dataDir, 'prometheus.yml');
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(path.join(dataDir, 'data'), { recursive: true });
  writeFileSync(configFile, scrapeConfig(options.targets, options.scrapeInterval ?? '1s'));
  const control = await startServer(
    {
      name: 'prometheus',
      command: tools.prometheus(),
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Debian's defaults point at its packaged console templates; a private instance needs none.
        '--web.console.templates=',
        '--web.console.libraries=',
      ],
      logFile,
      cwd: dataDir,
      stopSignal: 'SIGTERM',
      graceMs: 10_000,
    },
    { probe: () => answersReady(url), what: `prometheus on ${url}`, timeoutMs: options.startTimeoutMs },
  );
  return { url, port, dataDir, logFile, ...control };
}
