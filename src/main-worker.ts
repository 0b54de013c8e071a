import { loadConfig } from './config.js';
import { closeWorkerOnSignals, startWorker } from './queue/start-worker.js';

/** The worker process: `node dist/main-worker.js` (behealthy worker): the extract queue, and the nightly queue with its scheduler. Configuration comes from the environment. */
closeWorkerOnSignals(await startWorker(loadConfig(), { nightly: true }));
