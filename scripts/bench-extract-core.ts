/**
 * Part of npm run bench (scripts/bench.ts); alone: node --import tsx scripts/bench-extract-core.ts
 *
 * extract-core: single-thread extract() (tokenize + features + CRF tagging + record) over the test split's
 * sentences and over MTSamples notes, warm (3 s on the train split first), median of the rounds; beside it, in the same run, the direct path through the
 * CRFsuite binding (feature strings built in JS, tagged by the binding), and a check that both paths give
 * identical labels. The record steps after tagging (kinds, concept codes) run as in a serving process.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { referenceTagger } from '../src/core/tagger/crfsuite-binding.js';
import { extract } from '../src/core/extract.js';
import { splitSentences } from '../src/core/text/tokenizer.js';
import { readBeHealthySplit } from '../src/corpus/behealthy-format.js';
import { readMtSamples } from '../src/corpus/mtsamples.js';
import { loadModel, MODEL_FILE } from '../src/registry/model-store.js';
import { servingLoadOptions } from '../src/registry/serving-options.js';

const { values } = parseArgs({ options: { notes: { type: 'string', default: '600' }, rounds: { type: 'string', default: '5' }, only: { type: 'string' } } });
const config = loadConfig();
// As served: with the concept codes (CONCEPT_CODES=off measures without them).
const { model, card, directory, concepts } = await loadModel(config.modelDir, undefined, await servingLoadOptions(config));

const testTexts = (await readBeHealthySplit(config.corpusDir, 'test')).sentences.map((s) => s.tokens.join(' '));
const noteTexts: string[] = [];
for await (const note of readMtSamples(config.notesFile)) {
  if (noteTexts.length >= Number(values.notes)) break;
  noteTexts.push(note.text);
}

function tokensOf(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + splitSentences(text).reduce((n, s) => n + s.tokens.length, 0), 0);
}

const trainTexts = (await readBeHealthySplit(config.corpusDir, 'train')).sentences.map((s) => s.tokens.join(' '));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Warm-up for at least WARM_MS on other text than the timed one (the train split), so V8 has compiled the
 * hot path as in a serving process, then the median of the timed rounds; tokens/s. One round of the test
 * sentences takes a fraction of a second: a single warm-up round left the optimizing compiler mid-way and
 * the figure swung with it.
 */
const WARM_MS = 3000;
function throughput(texts: readonly string[], run: (text: string) => unknown): number {
  const tokens = tokensOf(texts);
  const warmUntil = performance.now() + WARM_MS;
  while (performance.now() < warmUntil) for (const text of trainTexts) run(text);
  const times: number[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    const started = performance.now();
    for (const text of texts) run(text);
    times.push(performance.now() - started);
  }
  return Math.round(tokens / (median(times) / 1000));
}

const reference = referenceTagger(join(directory, MODEL_FILE));
const viaBinding = (text: string): string[][] =>
  splitSentences(text).map((s) => reference.tag(model.attributes(s.tokens.map((t) => t.text))));

const testTps = throughput(testTexts, (text) => extract(text, model));
const notesTps = throughput(noteTexts, (text) => extract(text, model));
const bindingTestTps = throughput(testTexts, viaBinding);
const bindingNotesTps = throughput(noteTexts, viaBinding);
// After the timings: the string path run here first would leave its type feedback in the shared template code.
let compared = 0;
let mismatches = 0;
for (const text of [...testTexts, ...noteTexts]) {
  for (const sentence of splitSentences(text)) {
    const words = sentence.tokens.map((t) => t.text);
    compared += words.length;
    const ours = model.tag(words);
    const theirs = reference.tag(model.attributes(words));
    mismatches += ours.filter((tag, i) => tag !== theirs[i]).length;
  }
}

reference.close();

console.log(JSON.stringify({
  bench: 'extract-core',
  tokens_per_s: Math.min(testTps, notesTps),
  test_sentences_tokens_per_s: testTps,
  mtsamples_notes_tokens_per_s: notesTps,
  binding_path_test_tokens_per_s: bindingTestTps,
  binding_path_notes_tokens_per_s: bindingNotesTps,
  speedup_vs_binding: Number((Math.min(testTps, notesTps) / Math.min(bindingTestTps, bindingNotesTps)).toFixed(2)),
  tokens_compared_with_crfsuite: compared,
  label_mismatches_vs_crfsuite: mismatches,
  test_sentences: testTexts.length,
  notes: noteTexts.length,
  concept_codes: concepts !== undefined,
  model: card.version,
  node: process.version,
}));
