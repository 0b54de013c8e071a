/**
 * Part of npm run bench (scripts/bench.ts); alone: node --import tsx scripts/bench-extract-core.ts
 *
 * extract-core: single-thread extract() as compiled to dist/ (tokenize + features + CRF tagging + record) over the test split's
 * sentences and over MTSamples notes, warm (3 s on the train split first), median of the rounds; beside it, in the same run, the direct path through the
 * CRFsuite binding (feature strings built in JS, tagged by the binding), and a check that both paths give
 * identical labels. Also the cost of the record steps prescriptions need (brand names and dosage): the notes
 * and a set of prescriptions extracted with and without them, in alternating rounds so that a busy machine
 * slows both alike. The record steps after tagging (kinds, concept codes) run as in a serving process.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, PROJECT_ROOT } from '../src/config.js';
import { readPrescriptions } from '../src/corpus/prescriptions.js';
import { referenceTagger } from '../src/core/tagger/crfsuite-binding.js';
import { splitSentences } from '../src/core/text/tokenizer.js';
import { readBeHealthySplit } from '../src/corpus/behealthy-format.js';
import { readMtSamples } from '../src/corpus/mtsamples.js';
import { MODEL_FILE } from '../src/registry/model-store.js';
import { withDomainAttributes } from '../src/core/tagger/domains.js';

/**
 * The code a serving process runs: the compiled dist (npm run bench builds it first), not the sources through
 * tsx, whose transform wraps every closure in a naming helper that costs several percent in the hot path.
 */
async function served<T>(modulePath: string): Promise<T> {
  return (await import(new URL(`../dist/${modulePath}`, import.meta.url).href)) as T;
}
const { extract } = await served<typeof import('../src/core/extract.js')>('core/extract.js');
const { loadModel } = await served<typeof import('../src/registry/model-store.js')>('registry/model-store.js');
const { servingLoadOptions } = await served<typeof import('../src/registry/serving-options.js')>('registry/serving-options.js');

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
// A model that learned several domains serves one: CRFsuite reads its file with the attributes of that domain
// (each attribute shared and under the domain's names), which our reader folds into one table at load.
const servedUnder = card.domains && card.servingDomain ? (card.domains[card.servingDomain] ?? []) : [];
const bindingAttributes = (words: readonly string[]): string[][] => withDomainAttributes(model.attributes(words), servedUnder);
const viaBinding = (text: string): string[][] =>
  splitSentences(text).map((s) => reference.tag(bindingAttributes(s.tokens.map((t) => t.text))));

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
    const theirs = reference.tag(bindingAttributes(words));
    mismatches += ours.filter((tag, i) => tag !== theirs[i]).length;
  }
}

reference.close();

/** The same model without the brand pass and the brands and dosage steps. */
const bare = { ...model, brands: undefined, enrichers: (model.enrichers ?? []).filter((e) => e.name !== 'brands' && e.name !== 'dosage') };
const prescriptionTexts = (await readPrescriptions(join(PROJECT_ROOT, 'corpus', 'prescriptions', 'prescriptions.jsonl'))).map((n) => n.text);
/** Tokens/s with and without the steps, medians of alternating rounds. */
function paired(texts: readonly string[]): { with: number; without: number } {
  const tokens = tokensOf(texts);
  const timed = (m: typeof model): number => {
    const started = performance.now();
    for (const text of texts) extract(text, m);
    return performance.now() - started;
  };
  const withSteps: number[] = [];
  const without: number[] = [];
  for (let round = 0; round < 2 * Number(values.rounds) + 1; round++) {
    withSteps.push(timed(model));
    without.push(timed(bare));
  }
  return { with: Math.round(tokens / (median(withSteps) / 1000)), without: Math.round(tokens / (median(without) / 1000)) };
}
const notesPaired = paired(noteTexts);
// Prescriptions are short: each round extracts them 20 times.
const prescriptionsPaired = paired(Array.from({ length: 20 }, () => prescriptionTexts).flat());

console.log(JSON.stringify({
  bench: 'extract-core',
  tokens_per_s: Math.min(testTps, notesTps),
  test_sentences_tokens_per_s: testTps,
  mtsamples_notes_tokens_per_s: notesTps,
  binding_path_test_tokens_per_s: bindingTestTps,
  binding_path_notes_tokens_per_s: bindingNotesTps,
  speedup_vs_binding: Number((Math.min(testTps, notesTps) / Math.min(bindingTestTps, bindingNotesTps)).toFixed(2)),
  notes_with_prescription_steps_tokens_per_s: notesPaired.with,
  notes_without_prescription_steps_tokens_per_s: notesPaired.without,
  prescriptions_with_prescription_steps_tokens_per_s: prescriptionsPaired.with,
  prescriptions_without_prescription_steps_tokens_per_s: prescriptionsPaired.without,
  tokens_compared_with_crfsuite: compared,
  label_mismatches_vs_crfsuite: mismatches,
  test_sentences: testTexts.length,
  notes: noteTexts.length,
  concept_codes: concepts !== undefined,
  model: card.version,
  node: process.version,
}));
