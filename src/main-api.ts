import { loadConfig } from './config.js';
import { runApi } from './http/api-cluster.js';

/** The API process: `node dist/main-api.js` (npm start). Configuration comes from the environment. */
await runApi(loadConfig());
