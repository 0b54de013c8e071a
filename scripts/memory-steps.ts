/**
 * Where a serving process's memory goes: node --expose-gc --import tsx scripts/memory-steps.ts [--api]
 * process.memoryUsage() after each load step of an API process (its modules, the concept index, the production
 * model with the serving options), each reading after full collections, so a step's figure is what it keeps
 * (tsx itself adds some 40 MB of RSS to every reading). --api: the modules, then startApi as served. Then V8's
 * heap spaces. For what a step keeps object by object, write a heap snapshot (node:v8 writeHeapSnapshot).
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { loadConfig } from '../src/config.js';

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc');
const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
let last = process.memoryUsage();
const kept: unknown[] = [];

function step(name: string): void {
  for (let i = 0; i < 3; i++) collect?.();
  const now = process.memoryUsage();
  console.log(JSON.stringify({
    step: name, rssMb: mb(now.rss), heapUsedMb: mb(now.heapUsed), externalMb: mb(now.external),
    rssGrowthMb: mb(now.rss - last.rss), heapGrowthMb: mb(now.heapUsed - last.heapUsed), externalGrowthMb: mb(now.external - last.external),
  }));
  last = now;
}

step('node');
const config = { ...loadConfig(), port: 0, host: '127.0.0.1', logLevel: 'warn' as const };
const { startApi } = await import('../src/http/start-api.js');
step('modules');
if (process.argv.includes('--api')) {
  const api = await startApi(config);
  step('startApi');
  await api.close();
} else {
  const { loadConceptIndex } = await import('../src/corpus/concept-vocabularies.js');
  const { servingLoadOptions } = await import('../src/registry/serving-options.js');
  const { loadModel } = await import('../src/registry/model-store.js');
  kept.push(await loadConceptIndex(config.lexiconDir));
  step('concept index');
  kept.push(await loadModel(config.modelDir, undefined, { ...(await servingLoadOptions(config)), foldDomains: 'served' }));
  step('model');
}
for (const space of getHeapSpaceStatistics()) if (space.space_size > 0) console.log(JSON.stringify({ space: space.space_name, sizeMb: mb(space.space_size), usedMb: mb(space.space_used_size) }));
process.exit(0);
