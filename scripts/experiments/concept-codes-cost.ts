/**
 * What concept codes cost extraction, measured so that a loaded machine does not decide it: the same model
 * with and without the concept enricher, rounds alternating (on, off, on, off, …) over MTSamples notes and the
 * test split's sentences, median of each; and the enricher alone over the entities of those notes, with its
 * cache cold (a fresh index) and warm. Prints JSON lines.
 *
 *   node --import tsx scripts/experiments/concept-codes-cost.ts [--notes 300] [--rounds 9]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { extract } from '../../src/core/extract.js';
import { splitSentences } from '../../src/core/text/tokenizer.js';
import { buildConceptIndex } from '../../src/core/clinical/concept-codes/concept-index.js';
import { codeEntity } from '../../src/core/clinical/concept-codes/concept-enricher.js';
import { readConceptVocabularies } from '../../src/corpus/concept-vocabularies.js';
import { readBeHealthySplit } from '../../src/corpus/behealthy-format.js';
import { readMtSamples } from '../../src/corpus/mtsamples.js';
import { loadModel } from '../../src/registry/model-store.js';
import { servingLoadOptions } from '../../src/registry/serving-options.js';

const { values } = parseArgs({ options: { notes: { type: 'string', default: '300' }, rounds: { type: 'string', default: '9' } } });
const config = loadConfig();
const withCodes = (await loadModel(config.modelDir, undefined, await servingLoadOptions({ ...config, conceptCodes: true }))).model;
const without = (await loadModel(config.modelDir)).model;

const notes: string[] = [];
for await (const note of readMtSamples(config.notesFile)) {
  if (notes.length >= Number(values.notes)) break;
  notes.push(note.text);
}
const sentences = (await readBeHealthySplit(config.corpusDir, 'test')).sentences.map((s) => s.tokens.join(' '));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const tokensOf = (texts: readonly string[]) => texts.reduce((sum, text) => sum + splitSentences(text).reduce((n, s) => n + s.tokens.length, 0), 0);

for (const [name, texts] of [['mtsamples_notes', notes], ['test_sentences', sentences]] as const) {
  const tokens = tokensOf(texts);
  const times: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const round = (model: typeof without) => {
    const started = performance.now();
    for (const text of texts) extract(text, model);
    return performance.now() - started;
  };
  // Warm both, then alternate.
  round(withCodes);
  round(without);
  round(withCodes);
  round(without);
  for (let r = 0; r < Number(values.rounds); r++) {
    times.on.push(round(withCodes));
    times.off.push(round(without));
  }
  const on = tokens / (median(times.on) / 1000);
  const off = tokens / (median(times.off) / 1000);
  console.log(JSON.stringify({ bench: 'concept-codes-cost', texts: name, tokens, tokens_per_s_with_codes: Math.round(on), tokens_per_s_without: Math.round(off), ratio: Number((on / off).toFixed(3)), rounds: Number(values.rounds) }));
}

// The enricher alone: every entity of the notes coded by a fresh index (cold cache), then again (warm).
const entities = notes.flatMap((text) => extract(text, without).entities);
const index = buildConceptIndex(await readConceptVocabularies(config.lexiconDir));
const code = () => {
  const started = performance.now();
  for (const entity of entities) codeEntity(index, { ...entity });
  return performance.now() - started;
};
const cold = code();
const warm = median([code(), code(), code()]);
console.log(JSON.stringify({ bench: 'concept-codes-enricher', entities: entities.length, distinct_names: new Set(entities.map((e) => e.text)).size, cold_ms: Math.round(cold), warm_ms: Number(warm.toFixed(1)), warm_us_per_entity: Number(((warm * 1000) / entities.length).toFixed(2)) }));
