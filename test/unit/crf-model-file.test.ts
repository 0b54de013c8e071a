import { mulberry32 } from '../../src/core/text/folds.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ABS_WEIGHT, hashlittle, parseCrfsuiteModel, type CrfWeights } from '../../src/core/tagger/crf-model-file.js';
import { addItemStateScores, addStateScores, attributeId, attributeKey, tagAttributes, viterbi } from '../../src/core/tagger/viterbi.js';
import { isNerError } from '../../src/errors.js';
import { loadBinding, type BindingTagger } from '../../src/core/tagger/crfsuite-binding.js';

const binding = loadBinding();

type Sequence = { xseq: string[][]; yseq: string[] };

/** A small seeded PRNG so failures reproduce. */
const prng = mulberry32;

const UNICODE_WORDS = ['naïve', '日本語', '😀', 'Ωmega', 'e\u0301', '\uFEFFbom', 'straße', 'ﬁ', '𝔘', ''];

/**
 * Synthetic sequences: labels follow a Markov chain, and each token's attributes depend on its label
 * (word identity, suffix, "x:<n>" and "k=v=<n>" values, unicode words, the previous word), with some
 * duplicated attributes in an item and some attributes that occur once.
 */
function makeCorpus(labels: string[], count: number, seed: number): Sequence[] {
  const rnd = prng(seed);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const L = labels.length;
  const sequences: Sequence[] = [];
  for (let s = 0; s < count; s++) {
    const length = 1 + pick(25);
    const xseq: string[][] = [];
    const yseq: string[] = [];
    let label = pick(L);
    let previousWord = '<s>';
    for (let t = 0; t < length; t++) {
      label = rnd() < 0.6 ? (label + (rnd() < 0.5 ? 0 : 1)) % L : pick(L);
      const word = rnd() < 0.1 ? (UNICODE_WORDS[pick(UNICODE_WORDS.length)] ?? '') : `w${label * 12 + Math.floor(rnd() * rnd() * 30)}`;
      const item = [`w=${word}`, `suf=${word.slice(-2)}`, `w[-1]=${previousWord}`, `x:${(label + pick(3)) % 5}`, `k=v=${pick(L + 2)}`, 'bias'];
      if (rnd() < 0.1) item.push(`rare=${pick(1e9)}`);
      if (rnd() < 0.15) item.push(item[pick(item.length)] ?? 'bias');
      if (rnd() < 0.05) item.push(`a:b=c:${label}.5`);
      xseq.push(item);
      yseq.push(labels[label] ?? 'O');
      previousWord = word;
    }
    sequences.push({ xseq, yseq });
  }
  return sequences;
}

/** Query sequences: like the corpus, with unknown attributes, empty items, NUL and lone-surrogate variants. */
function makeQueries(labels: string[], count: number, seed: number): string[][][] {
  const rnd = prng(seed);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const base = makeCorpus(labels, count, seed + 1);
  return base.map(({ xseq }, q) => {
    const length = 1 + pick(60);
    const items: string[][] = [];
    for (let t = 0; t < length; t++) items.push([...(xseq[t % xseq.length] ?? [])]);
    if (q % 10 === 0) return items.map((item) => item.map((_, i) => `unknown=${q}:${i}`));
    if (q % 10 === 1) return items.map((item, t) => (t % 2 === 0 ? [] : item));
    return items.map((item) => {
      const out = item.filter(() => rnd() > 0.1);
      if (rnd() < 0.2) out.push(`unk${pick(1000)}`);
      if (rnd() < 0.05) out.push(`${item[0] ?? ''}\u0000tail`);
      if (rnd() < 0.05) out.push(`p=\uD800`, `p=\uFFFD`);
      if (rnd() < 0.05) out.length = 0;
      return out;
    });
  });
}

let workDir = '';

function train(name: string, sequences: Sequence[], params: Record<string, string>): { path: string; bytes: Uint8Array } {
  const trainer = new binding.Trainer({ debug: false });
  trainer.set_params({ c1: '0.1', c2: '0.01', max_iterations: '50', ...params });
  for (const { xseq, yseq } of sequences) trainer.append(xseq, yseq);
  const path = join(workDir, `${name}.crfsuite`);
  expect(trainer.train(path)).toBe(0);
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

function openTagger(path: string): BindingTagger {
  const tagger = new binding.Tagger();
  expect(tagger.open(path)).toBe(true);
  return tagger;
}

// These run thousands of times per test, so they call expect() only when something is wrong.
function expectModelFormatError(bytes: Uint8Array): void {
  try {
    parseCrfsuiteModel(bytes);
  } catch (error) {
    if (!isNerError(error, 'NER_ERR_MODEL_FORMAT')) expect(error).toBe('a NerError NER_ERR_MODEL_FORMAT');
    return;
  }
  expect.fail(`a ${bytes.length}-byte buffer parsed as a model`);
}

/** Either a NER_ERR_MODEL_FORMAT error, or weights that are internally consistent and can tag. */
function parsesOrRejects(bytes: Uint8Array): 'parsed' | 'rejected' {
  let weights: CrfWeights;
  try {
    weights = parseCrfsuiteModel(bytes);
  } catch (error) {
    if (!isNerError(error, 'NER_ERR_MODEL_FORMAT')) expect(error).toBe('a NerError NER_ERR_MODEL_FORMAT');
    return 'rejected';
  }
  expectConsistent(weights);
  const attributes = [...weights.attributeIds.keys()].slice(0, 5);
  const tagged = tagAttributes(weights, [attributes, [], ['nope']]);
  if (tagged.length !== 3 || !tagged.every((label) => weights.labels.includes(label))) expect(tagged).toBe('3 labels of the model');
  return 'parsed';
}

function inconsistency(weights: CrfWeights): string | undefined {
  const L = weights.labels.length;
  const A = weights.numAttributes;
  const { stateStart, stateLabel, stateWeight, transition } = weights;
  if (L === 0) return 'no labels';
  if (weights.attributeIds.size !== A) return 'attributeIds size';
  if (transition.length !== L * L || stateStart.length !== A + 1) return 'array lengths';
  if (stateStart[A] !== stateLabel.length || stateWeight.length !== stateLabel.length) return 'CSR end';
  if (weights.stateDense.length !== A * L) return 'dense length';
  const dense = new Float64Array(A * L);
  for (let a = 0; a < A; a++) {
    if ((stateStart[a] ?? 0) >= (stateStart[a + 1] ?? -1)) return `attribute ${a} has no state feature`;
    for (let k = stateStart[a] ?? 0; k < (stateStart[a + 1] ?? 0); k++) {
      const at = a * L + (stateLabel[k] ?? 0);
      dense[at] = (dense[at] ?? NaN) + (stateWeight[k] ?? NaN);
    }
  }
  if (!dense.every((w, i) => w === weights.stateDense[i])) return 'dense and CSR state weights differ';
  if (!stateLabel.every((l) => l < L)) return 'label out of range';
  if (![...stateWeight, ...transition].every((w) => Math.abs(w) <= MAX_ABS_WEIGHT)) return 'weight out of range';
  for (const [name, id] of weights.attributeIds) if (!(id >= 0 && id < A)) return `attribute ${name} has id ${id}`;
  return undefined;
}

function expectConsistent(weights: CrfWeights): void {
  const problem = inconsistency(weights);
  if (problem !== undefined) expect.fail(problem);
}

function u32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

function withU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(offset, value >>> 0, true);
  return copy;
}

const LABELS_3 = ['D', 'T', 'O'];
const LABELS_5 = ['B-D', 'I-D', 'B-T', 'I-T', 'O'];

interface Trained {
  name: string;
  labels: string[];
  corpus: Sequence[];
  path: string;
  bytes: Uint8Array;
}

const MODEL_SPECS: { name: string; labels: string[]; seed: number; params: Record<string, string> }[] = [
  { name: 'three', labels: LABELS_3, seed: 1, params: {} },
  { name: 'five', labels: LABELS_5, seed: 2, params: {} },
  { name: 'three-dense', labels: LABELS_3, seed: 3, params: { c1: '0', 'feature.possible_states': '1', 'feature.possible_transitions': '1' } },
  { name: 'five-dense', labels: LABELS_5, seed: 4, params: { c1: '0', 'feature.possible_transitions': '1' } },
  // Strong L1: most weights are pruned to zero, so many scores tie and the tie-breaking order shows.
  { name: 'five-sparse', labels: LABELS_5, seed: 5, params: { c1: '3', max_iterations: '20' } },
];

const models: Trained[] = [];
let small: Trained;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'crf-model-file-'));
  for (const spec of MODEL_SPECS) {
    const corpus = makeCorpus(spec.labels, 300, spec.seed);
    models.push({ name: spec.name, labels: spec.labels, corpus, ...train(spec.name, corpus, spec.params) });
  }
  const tiny = makeCorpus(LABELS_3, 6, 99).map(({ xseq, yseq }) => ({ xseq: xseq.map((item) => item.slice(0, 2)), yseq }));
  small = { name: 'small', labels: LABELS_3, corpus: tiny, ...train('small', tiny, { 'feature.possible_transitions': '1' }) };
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('parseCrfsuiteModel on models the binding trained', () => {
  it('reads the labels in the order the binding reports them', () => {
    for (const model of [...models, small]) {
      const weights = parseCrfsuiteModel(model.bytes);
      const tagger = openTagger(model.path);
      expect(weights.labels, model.name).toEqual(tagger.get_labels());
      expect([...weights.labels].sort()).toEqual([...model.labels].sort());
      tagger.close();
      expectConsistent(weights);
    }
  });

  it('keeps every training attribute when no weight is pruned (c1 = 0)', () => {
    const model = models.find((m) => m.name === 'three-dense');
    if (!model) throw new Error('missing model');
    const distinct = new Set(model.corpus.flatMap(({ xseq }) => xseq.flat().map(attributeKey)));
    const weights = parseCrfsuiteModel(model.bytes);
    expect(weights.numAttributes).toBe(distinct.size);
    expect(new Set(weights.attributeIds.keys())).toEqual(distinct);
    // possible_states: every attribute has a feature for every label; possible_transitions: all L² pairs.
    expect(weights.stateLabel.length).toBe(distinct.size * weights.labels.length);
    expect(weights.transition.every((w) => w !== 0)).toBe(true);
  });

  it('hashes CQDB keys with lookup3 hashlittle (the reference test vectors)', () => {
    const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
    expect(hashlittle(new Uint8Array(0))).toBe(0xdeadbeef);
    expect(hashlittle(bytes('Four score and seven years ago'))).toBe(0x17770551);
  });

  it('reads a model that sits at an odd offset inside a larger buffer', () => {
    const { bytes } = small;
    const host = new Uint8Array(bytes.length + 7);
    host.set(bytes, 3);
    expect(parseCrfsuiteModel(host.subarray(3, 3 + bytes.length))).toEqual(parseCrfsuiteModel(bytes));
  });

  it('reads unicode attribute strings byte-exactly (BOM, combining marks, astral characters)', () => {
    const weights = parseCrfsuiteModel(models[0]?.bytes ?? new Uint8Array());
    for (const word of UNICODE_WORDS.filter((w) => w !== '')) expect(weights.attributeIds.has(`w=${word}`), word).toBe(true);
    expect(weights.attributeIds.has('w=')).toBe(true);
  });
});

/**
 * The production hot path: ids looked up once per attribute list, then scored into reused buffers.
 * (The caller is meant to cache the ids per word; here they are looked up per call.)
 */
function hotPathTagger(weights: CrfWeights): (xseq: string[][]) => string[] {
  const L = weights.labels.length;
  let scores = new Float64Array(0);
  const out = new Int32Array(64);
  return (xseq) => {
    if (scores.length < xseq.length * L) scores = new Float64Array(xseq.length * L);
    scores.fill(0, 0, xseq.length * L);
    // Flat ids with per-token offsets, as a feature encoder produces them.
    const ids = Int32Array.from(xseq.flat(), (a) => attributeId(weights, a));
    let start = 0;
    xseq.forEach((item, t) => {
      addItemStateScores(weights, ids, scores, t, start, start + item.length);
      start += item.length;
    });
    const labels = viterbi(scores, xseq.length, weights, out);
    return Array.from(labels.subarray(0, xseq.length), (label) => weights.labels[label] ?? '?');
  };
}

describe('tagAttributes gives the labels the binding gives', () => {
  it('on thousands of random sequences for 3- and 5-label models, by both scoring paths', () => {
    let compared = 0;
    for (const [m, model] of models.entries()) {
      const weights = parseCrfsuiteModel(model.bytes);
      const tagger = openTagger(model.path);
      const hotPath = hotPathTagger(weights);
      const queries = [...makeQueries(model.labels, 2000, 1000 + m), [], [[]], model.corpus[0]?.xseq ?? []];
      for (const [q, xseq] of queries.entries()) {
        const expected = tagger.tag(xseq).join(' ');
        const actual = tagAttributes(weights, xseq).join(' ');
        const hot = hotPath(xseq).join(' ');
        if (actual !== expected || hot !== expected) expect({ model: model.name, q, actual, hot }).toEqual({ model: model.name, q, actual: expected, hot: expected });
        compared++;
      }
      tagger.close();
    }
    expect(compared).toBeGreaterThanOrEqual(10_000);
  });

  it('on training sequences, where the learnt weights decide', () => {
    for (const model of models) {
      const weights = parseCrfsuiteModel(model.bytes);
      const tagger = openTagger(model.path);
      for (const { xseq } of model.corpus) expect(tagAttributes(weights, xseq)).toEqual(tagger.tag(xseq));
      tagger.close();
    }
  });

  it('the binding does not parse "name:value": "x:1", "x:2" and "x" are three unrelated attributes', () => {
    const sequences: Sequence[] = [];
    for (let i = 0; i < 40; i++) {
      sequences.push({ xseq: [['f:1'], ['f:2'], ['g=1:0.5']], yseq: ['A', 'B', 'A'] });
    }
    const model = train('colon', sequences, { c1: '0' });
    const weights = parseCrfsuiteModel(model.bytes);
    expect([...weights.attributeIds.keys()].sort()).toEqual(['f:1', 'f:2', 'g=1:0.5']);
    const tagger = openTagger(model.path);
    // With value parsing, "f:2" would be attribute "f" scaled by 2 and push towards the same label as "f:1".
    expect(tagger.tag([['f:1'], ['f:2']])).toEqual(['A', 'B']);
    expect(tagger.tag([['f:2'], ['f:1']])).toEqual(tagAttributes(weights, [['f:2'], ['f:1']]));
    // "f" and "f:3" are unknown: only transitions decide, exactly as in tagAttributes.
    expect(tagAttributes(weights, [['f'], ['f:3']])).toEqual(tagger.tag([['f'], ['f:3']]));
    tagger.close();
  });

  it('looks attributes up as the binding does: cut at NUL, lone surrogates as U+FFFD', () => {
    expect(attributeKey('n=a\u0000zz')).toBe('n=a');
    expect(attributeKey('p=\uD800')).toBe('p=\uFFFD');
    expect(attributeKey('😀\uDC00x')).toBe('😀\uFFFDx');
    const model = train('keys', Array.from({ length: 20 }, () => ({ xseq: [['n=a\u0000zz'], ['p=\uD800']], yseq: ['A', 'B'] })), { c1: '0' });
    const weights = parseCrfsuiteModel(model.bytes);
    expect([...weights.attributeIds.keys()].sort()).toEqual(['n=a', 'p=\uFFFD']);
    const tagger = openTagger(model.path);
    const xseq = [['p=\uFFFD'], ['n=a'], ['n=a\u0000other'], ['p=\uDBFF']];
    expect(tagAttributes(weights, xseq)).toEqual(tagger.tag(xseq));
    tagger.close();
  });

  it('tags a weight-corrupted model file the same way the binding does', () => {
    const model = models[1];
    if (!model) throw new Error('missing model');
    const featureBase = u32(model.bytes, 28) + 12;
    const numFeatures = u32(model.bytes, featureBase - 4);
    const rnd = prng(7);
    const queries = makeQueries(model.labels, 100, 77);
    for (let trial = 0; trial < 10; trial++) {
      const bytes = model.bytes.slice();
      for (let k = 0; k < 30; k++) {
        const at = featureBase + 20 * Math.floor(rnd() * numFeatures) + 12 + Math.floor(rnd() * 6);
        bytes[at] = Math.floor(rnd() * 256);
      }
      const path = join(workDir, `corrupt-weights-${trial}.crfsuite`);
      writeFileSync(path, bytes);
      const weights = parseCrfsuiteModel(bytes);
      const tagger = openTagger(path);
      for (const xseq of queries) expect(tagAttributes(weights, xseq)).toEqual(tagger.tag(xseq));
      tagger.close();
    }
  });
});

describe('viterbi', () => {
  function weightsWith(L: number, transition: number[]): CrfWeights {
    return {
      labels: Array.from({ length: L }, (_, i) => `L${i}`),
      attributeIds: new Map(),
      numAttributes: 0,
      stateStart: new Uint32Array(1),
      stateLabel: new Uint16Array(0),
      stateWeight: new Float64Array(0),
      stateDense: new Float64Array(0),
      transition: Float64Array.from(transition),
    };
  }

  it('breaks ties towards the lowest label id, as crf1dc_viterbi does', () => {
    const weights = weightsWith(3, [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...viterbi(new Float64Array(12), 4, weights)]).toEqual([0, 0, 0, 0]);
    const scores = Float64Array.from([1, 2, 2, 0, 5, 5]);
    expect([...viterbi(scores, 2, weights)]).toEqual([1, 1]);
  });

  it('finds a maximum-score path (brute force over every path)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 16 + 20, maxLength: 16 + 20 }),
        (L, T, values) => {
          const weights = weightsWith(L, values.slice(0, L * L).map((v) => v / 2));
          const scores = Float64Array.from(values.slice(16, 16 + T * L), (v) => v / 4);
          const path = viterbi(scores, T, weights);
          const score = (p: ArrayLike<number>): number => {
            let s = scores[p[0] ?? 0] ?? 0;
            for (let t = 1; t < T; t++) s += (weights.transition[(p[t - 1] ?? 0) * L + (p[t] ?? 0)] ?? 0) + (scores[t * L + (p[t] ?? 0)] ?? 0);
            return s;
          };
          let best = -Infinity;
          for (let code = 0; code < L ** T; code++) {
            const p = Array.from({ length: T }, (_, t) => Math.floor(code / L ** t) % L);
            best = Math.max(best, score(p));
          }
          expect(score(path)).toBe(best);
        },
      ),
    );
  });

  it('writes into the out buffer and leaves the scores untouched', () => {
    const weights = parseCrfsuiteModel(models[1]?.bytes ?? new Uint8Array());
    const L = weights.labels.length;
    const xseq = makeQueries(LABELS_5, 3, 5)[2] ?? [];
    const scores = new Float64Array(xseq.length * L);
    xseq.forEach((item, t) => {
      for (const attribute of item) {
        const id = weights.attributeIds.get(attribute);
        if (id !== undefined) addStateScores(weights, id, scores, t);
      }
    });
    const before = scores.slice();
    const out = new Int32Array(100).fill(-7);
    expect(viterbi(scores, xseq.length, weights, out)).toBe(out);
    expect(scores).toEqual(before);
    expect(Array.from(out.subarray(0, xseq.length), (l) => weights.labels[l])).toEqual(tagAttributes(weights, xseq));
    expect(out[xseq.length]).toBe(-7);
    expect(viterbi(scores, 0, weights)).toHaveLength(0);
  });
});

describe('parseCrfsuiteModel rejects malformed buffers with NER_ERR_MODEL_FORMAT', () => {
  it('rejects an empty buffer, a text file and a non-Uint8Array', () => {
    expectModelFormatError(new Uint8Array(0));
    expectModelFormatError(new TextEncoder().encode('B-D I-D O\nthis is not a CRFsuite model, just some text\n'.repeat(20)));
    expectModelFormatError('lCRF' as unknown as Uint8Array);
  });

  it('rejects every truncation of a model, with or without the size field patched to match', () => {
    const { bytes } = small;
    expect(bytes.length).toBeGreaterThan(4000);
    const started = performance.now();
    for (let length = 0; length < bytes.length; length++) {
      const prefix = bytes.slice(0, length);
      expectModelFormatError(prefix);
      if (length >= 8) expectModelFormatError(withU32(prefix, 4, length));
    }
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(parseCrfsuiteModel(bytes).labels).toHaveLength(3);
  });

  it('rejects a model with trailing bytes or a header field changed', () => {
    const { bytes } = small;
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes);
    expectModelFormatError(padded);
    expectModelFormatError(withU32(padded, 4, padded.length));
    // magic, type, version, num_labels, num_attrs, and each offset; num_features (offset 16) is unused.
    for (const offset of [0, 8, 12, 20, 24, 28, 32, 36, 40, 44]) {
      for (const value of [0, 1, u32(bytes, offset) + 1, u32(bytes, offset) - 4, 0x7fffffff, 0xffffffff]) {
        if (value === u32(bytes, offset)) continue;
        expectModelFormatError(withU32(bytes, offset, value));
      }
    }
    expect(parsesOrRejects(withU32(bytes, 16, 12345))).toBe('parsed');
  });

  it('rejects huge counts and sizes inside the chunks quickly', () => {
    const { bytes } = small;
    const offFeatures = u32(bytes, 28);
    const offLabels = u32(bytes, 32);
    const offAttrs = u32(bytes, 36);
    const offLabelRefs = u32(bytes, 40);
    const offAttrRefs = u32(bytes, 44);
    const fields = [
      offFeatures + 4, offFeatures + 8, // FEAT size, count
      offLabels + 4, offLabels + 16, offLabels + 20, offLabels + 28, // CQDB size, backward size/offset, table 0 size
      offAttrs + 4, offAttrs + 16, offAttrs + 20,
      offLabelRefs + 4, offLabelRefs + 8, offLabelRefs + 12, u32(bytes, offLabelRefs + 12), // LFRF size, count, list 0 offset, list 0 length
      offAttrRefs + 4, offAttrRefs + 8, offAttrRefs + 12, u32(bytes, offAttrRefs + 12),
      offFeatures + 12, offFeatures + 16, offFeatures + 20, // feature 0 type, src, dst
    ];
    const started = performance.now();
    for (const field of fields) {
      for (const value of [0x7fffffff, 0xffffffff, 0x10000, u32(bytes, field) + 1]) {
        // A feature's label id changed to another valid label is a different but well-formed model.
        if (field === offFeatures + 20 && value === u32(bytes, field) + 1) continue;
        if (value !== u32(bytes, field)) expectModelFormatError(withU32(bytes, field, value));
      }
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('rejects a non-finite or absurd weight', () => {
    const { bytes } = small;
    const weightAt = u32(bytes, 28) + 12 + 12;
    for (const w of [NaN, Infinity, -Infinity, 1e300]) {
      const copy = bytes.slice();
      new DataView(copy.buffer).setFloat64(weightAt, w, true);
      expectModelFormatError(copy);
    }
  });

  it('rejects random bytes, with or without a valid-looking header (fast-check)', () => {
    const header = small.bytes.slice(0, 48);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.boolean(), (random, withHeader) => {
        const bytes = random.slice();
        if (withHeader && bytes.length >= 48) {
          bytes.set(header);
          new DataView(bytes.buffer).setUint32(4, bytes.length, true);
        }
        expectModelFormatError(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('either rejects or parses consistently after random byte corruptions (fast-check)', () => {
    const { bytes } = small;
    const outcomes = { parsed: 0, rejected: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (edits) => {
          const copy = bytes.slice();
          for (const [at, value] of edits) copy[at] = value;
          outcomes[parsesOrRejects(copy)]++;
        },
      ),
      { numRuns: 3000 },
    );
    // Both happen: bytes in unused space or weights parse, structural bytes are rejected.
    expect(outcomes.parsed).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  it('either rejects or parses consistently after every single-bit flip of a small model', () => {
    const { bytes } = small;
    const featureBase = u32(bytes, 28) + 12;
    const featureEnd = featureBase + 20 * u32(bytes, featureBase - 4);
    const isWeight = (at: number): boolean => at >= featureBase && at < featureEnd && (at - featureBase) % 20 >= 12;
    const outcomes = { parsed: 0, rejected: 0, parsedOutsideWeights: 0 };
    const started = performance.now();
    for (let at = 0; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = bytes.slice();
        copy[at] = (copy[at] ?? 0) ^ (1 << bit);
        const outcome = parsesOrRejects(copy);
        outcomes[outcome]++;
        if (outcome === 'parsed' && !isWeight(at)) outcomes.parsedOutsideWeights++;
      }
    }
    expect(performance.now() - started).toBeLessThan(30_000);
    // Outside the weights, only fields crfsuite ignores (header num_features, CQDB flags, the two spare
    // LFRF offsets, alignment padding) and a label id changed into another valid one can still parse;
    // crfsuite reads those the same way, so it tags as we do.
    expect(outcomes.rejected).toBeGreaterThan(48 * 8);
    expect(outcomes.parsedOutsideWeights).toBeLessThan(0.01 * 8 * bytes.length);
  });
});
