import { loadConfig } from './config.js';
import { closeOnSignals, startApi } from './http/start-api.js';

/** The API process: `node dist/main-api.js` (npm start). Configuration comes from the environment. */
const config = loadConfig();
const api = await startApi(config);
closeOnSignals(api, config.shutdownTimeoutMs);
