import { loadConfig } from '../src/config.js';
import { extract } from '../src/core/extract.js';
import { readBeHealthySplit } from '../src/corpus/behealthy-format.js';
import { readMtSamples } from '../src/corpus/mtsamples.js';
import { loadModel } from '../src/registry/model-store.js';
import { servingLoadOptions } from '../src/registry/serving-options.js';
const config = loadConfig();
const { model } = await loadModel(config.modelDir, undefined, await servingLoadOptions(config));
const test = (await readBeHealthySplit(config.corpusDir, 'test')).sentences.map((s) => s.tokens.join(' '));
const notes: string[] = [];
for await (const n of readMtSamples(config.notesFile)) { if (notes.length >= 600) break; notes.push(n.text); }
const which = process.argv[2] === 'notes' ? notes : test;
const until = performance.now() + 15000;
let rounds = 0;
while (performance.now() < until) { for (const t of which) extract(t, model); rounds++; }
console.log('rounds', rounds);
