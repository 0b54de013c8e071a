import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Config } from '../config.js';
import { closeOnSignals, startApi } from './start-api.js';

/**
 * The API on WEB_CONCURRENCY processes sharing one port (node:cluster): extraction is CPU-bound, so one
 * process per core. The primary only forks, restarts a worker that dies, gathers metrics and relays
 * SIGTERM; each worker is a whole API (startApi). GET /metrics on any worker answers for all of them.
 */
export async function runApi(config: Config, options: { modelVersion?: string } = {}): Promise<void> {
  if (config.webConcurrency <= 1) {
    closeOnSignals(await startApi(config, options), config.shutdownTimeoutMs);
    return;
  }
  if (cluster.isPrimary) runPrimary(config);
  else await runWorker(config, options);
}

const METRICS_REQUEST = 'behealthy:metrics-request';
const METRICS_RESPONSE = 'behealthy:metrics-response';

interface MetricsMessage {
  type: typeof METRICS_REQUEST | typeof METRICS_RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

function runPrimary(config: Config): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: MetricsMessage) => {
      if (message?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_RESPONSE, id: message.id, text }),
        (error: unknown) => worker.send({ type: METRICS_RESPONSE, id: message.id, error: String(error) }),
      );
    });
    return worker;
  };
  for (let i = 0; i < config.webConcurrency; i++) fork();
  let failed = false;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      failed ||= code !== 0;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    console.error(JSON.stringify({ level: 50, msg: 'API worker died; starting another', pid: worker.process.pid, code, signal }));
    fork();
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function runWorker(config: Config, options: { modelVersion?: string }): Promise<void> {
  let nextId = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: MetricsMessage) => {
    if (message?.type !== METRICS_RESPONSE) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.text !== undefined) waiting?.resolve(message.text);
    else waiting?.reject(new Error(message.error ?? 'no metrics'));
  });
  const clusterMetrics = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      process.send?.({ type: METRICS_REQUEST, id });
    });
  const shareWithPrimary = (registry: Registry): void => {
    // Constructing one is what makes prom-client answer the primary's requests in a worker.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries(registry);
  };
  const api = await startApi(config, { ...options, exposition: clusterMetrics, onMetricsRegistry: shareWithPrimary });
  closeOnSignals(api, config.shutdownTimeoutMs);
}
