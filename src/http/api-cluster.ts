import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { ProcessModelState } from './routes/model-routes.js';

/**
 * The API on WEB_CONCURRENCY processes sharing one port (node:cluster): extraction is CPU-bound, so one
 * process per core, each started with a V8 heap limit of API_HEAP_LIMIT_MB (only WEB_CONCURRENCY=1 with no
 * limit serves from the process node started). The primary only forks, restarts a worker that dies, gathers
 * metrics and relays SIGTERM; each worker is a whole API (startApi). GET /metrics on any worker answers for all of them.
 * Each worker follows the production pointer itself (hot reload); the primary relays which version each
 * worker serves, so GET /v1/models on any worker lists them all.
 */
export async function runApi(config: Config, options: { modelVersion?: string } = {}): Promise<void> {
  // A heap limit is a flag node starts with: with one process and API_HEAP_LIMIT_MB, that process is forked too.
  if (config.webConcurrency <= 1 && config.apiHeapLimitMb === 0) {
    const { closeOnSignals, startApi } = await import('./start-api.js');
    closeOnSignals(await startApi(config, options), config.shutdownTimeoutMs);
    return;
  }
  if (cluster.isPrimary) runPrimary(config);
  else await runWorker(config, options);
}

const METRICS_REQUEST = 'behealthy:metrics-request';
const METRICS_RESPONSE = 'behealthy:metrics-response';
/** A worker's model state (worker → primary), and every worker's (primary → workers), for GET /v1/models. */
const MODEL_STATE = 'behealthy:model-state';
const MODEL_STATES = 'behealthy:model-states';

interface ModelStateMessage {
  type: typeof MODEL_STATE;
  state: ProcessModelState;
}

interface ModelStatesMessage {
  type: typeof MODEL_STATES;
  states: ProcessModelState[];
}

interface MetricsMessage {
  type: typeof METRICS_REQUEST | typeof METRICS_RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

/** Semi-space size of the workers under a heap limit: half Node 20's default (see workerExecArgv). */
const YOUNG_SEMI_SPACE_MB = 8;

/**
 * The node flags a worker starts with. When the workers fill the cores, V8's parallel and concurrent GC
 * threads can only take CPU from another worker: with 2 workers on 2 cores, young-generation collections
 * took 2.5 times as long in total (1.3 s against 0.5 s per worker in 15 s of load) and held requests up to
 * 40 ms, so each worker collects on its own thread.
 */
export function workerExecArgv(execArgv: readonly string[], workers: number, cores: number, heapLimitMb = 0): string[] {
  const gcFlag = execArgv.some((flag) => /^--(no-)?single-threaded-gc$/.test(flag));
  const heapFlag = execArgv.some((flag) => /^--max-old-space-size(=|$)/.test(flag));
  const youngFlag = execArgv.some((flag) => /^--max-semi-space-size(=|$)/.test(flag));
  return [
    ...execArgv,
    ...(workers >= cores && !gcFlag ? ['--single-threaded-gc'] : []),
    // V8 lets the old generation grow to several times the live data before collecting it: under a mix
    // of long notes a worker reached 470-500 MB with about 100 MB live. Near a limit it collects sooner.
    ...(heapLimitMb > 0 && !heapFlag ? [`--max-old-space-size=${heapLimitMb}`] : []),
    // Node 24's V8 grows the young generation to 128 MB where Node 20's stops at 32 MB: an idle worker read
    // 371 MB on Node 24 against 221 MB on Node 20. With a heap limit, both keep 8 MB semi-spaces: on Node 20
    // that is 20–25 MB less RSS under mixed load than its default 16 MB, at the same requests/s.
    ...(heapLimitMb > 0 && !youngFlag ? [`--max-semi-space-size=${YOUNG_SEMI_SPACE_MB}`] : []),
  ];
}

/**
 * The environment variables a worker starts with besides the primary's: glibc malloc settings, unless the
 * deployment sets its own (musl ignores them). V8's helper threads each took a malloc arena of their own, and
 * the threshold above which freed memory goes back to the system grew with the model's large buffers: with
 * at most 2 arenas and a fixed 128 KB threshold an idle worker holds about 15 MB less, and a loaded one as much.
 */
export function workerEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const defaults = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' };
  return Object.fromEntries(Object.entries(defaults).filter(([name]) => env[name] === undefined));
}

function runPrimary(config: Config): void {
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, config.webConcurrency, availableParallelism(), config.apiHeapLimitMb) });
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const modelStates = new Map<number, ProcessModelState>();
  const broadcastModelStates = (): void => {
    const message: ModelStatesMessage = { type: MODEL_STATES, states: [...modelStates.values()] };
    for (const worker of Object.values(cluster.workers ?? {})) if (worker?.isConnected()) worker.send(message);
  };
  const fork = (): Worker => {
    const worker = cluster.fork(workerEnv(process.env));
    worker.on('message', (message: MetricsMessage | ModelStateMessage) => {
      if (message?.type === MODEL_STATE) {
        modelStates.set(worker.id, message.state);
        broadcastModelStates();
        return;
      }
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
    modelStates.delete(worker.id);
    if (stopping) {
      failed ||= code !== 0;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    console.error(JSON.stringify({ level: 50, msg: 'API worker died; starting another', pid: worker.process.pid, code, signal }));
    broadcastModelStates();
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
  let modelStates: ProcessModelState[] = [];
  process.on('message', (message: MetricsMessage | ModelStatesMessage) => {
    if (message?.type === MODEL_STATES) {
      modelStates = message.states;
      return;
    }
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
  // Imported here, not at the top: the primary only forks and relays, and needs none of the API's modules.
  const { closeOnSignals, startApi } = await import('./start-api.js');
  const api = await startApi(config, {
    ...options,
    exposition: clusterMetrics,
    onMetricsRegistry: shareWithPrimary,
    // Every worker reloads on its own (each watches the pointer); the primary relays who serves what.
    onModelState: (state) => process.send?.({ type: MODEL_STATE, state } satisfies ModelStateMessage),
    // This process's own state is always its latest; the others' as the primary last relayed them.
    modelProcesses: (own) => [...modelStates.filter((state) => state.pid !== own.pid), own],
  });
  closeOnSignals(api, config.shutdownTimeoutMs);
}
