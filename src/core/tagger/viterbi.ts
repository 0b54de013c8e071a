import type { CrfWeights } from './crf-model-file.js';

/**
 * Tagging with crf1d weights in JavaScript, reproducing what CRFsuite's tagger computes
 * (crf1d_tag.c crf1dt_state_score + crf1d_context.c crf1dc_viterbi) operation for operation, so the
 * labels are identical to the binding's Tagger.tag() for the same model and attribute lists.
 *
 * Scores are laid out as in crfsuite's context: scores[t * L + l] for position t and label l.
 */

/**
 * Adds the state weights of attribute `attributeId` to position t of `scores` (which the caller zeroes
 * first, as crf1dc_reset does). To get crfsuite's exact sums, add a token's attributes in the order of its
 * attribute list, duplicates included, skipping only unknown attributes (crfsuite's Tagger::set drops
 * them); the binding's attribute value is always 1, so crfsuite's `weight * value` is `weight`. Ids
 * outside the model are ignored.
 */
export function addStateScores(weights: CrfWeights, attributeId: number, scores: Float64Array, t: number): void {
  if (!(attributeId >= 0 && attributeId < weights.numAttributes)) return;
  const dense = weights.stateDense;
  const L = weights.labels.length;
  const row = attributeId * L;
  const base = t * L;
  for (let l = 0; l < L; l++) scores[base + l] = (scores[base + l] as number) + (dense[row + l] as number);
}

/**
 * addStateScores for the attributes attributeIds[start .. end) of token t, in order: the hot-path form
 * (one call per token, the weights' fields read once; start/end fit a flat ids array with per-token
 * offsets). Negative ids (unknown attributes) are skipped.
 */
export function addItemStateScores(
  weights: CrfWeights,
  attributeIds: ArrayLike<number>,
  scores: Float64Array,
  t: number,
  start = 0,
  end = attributeIds.length,
): void {
  const dense = weights.stateDense;
  const L = weights.labels.length;
  const A = weights.numAttributes;
  const base = t * L;
  // Label by label, each sum in a local: every label still adds the attributes in CRFsuite's order (bit for
  // bit its sums), without loading and storing every label's sum once per attribute.
  for (let l = 0; l < L; l++) {
    let sum = scores[base + l] as number;
    for (let i = start; i < end; i++) {
      const a = attributeIds[i] as number;
      if (a >= 0 && a < A) sum += dense[a * L + l] as number;
    }
    scores[base + l] = sum;
  }
}

/** Back-pointers and the two alpha rows, reused across calls so the hot path does not allocate. */
let backScratch = new Int32Array(0);
let alphaScratch = new Float64Array(0);

function scratch(length: number, L: number): { back: Int32Array; alpha: Float64Array } {
  if (backScratch.length < length * L) backScratch = new Int32Array(Math.max(length * L, 2 * backScratch.length));
  if (alphaScratch.length < 2 * L) alphaScratch = new Float64Array(2 * L);
  return { back: backScratch, alpha: alphaScratch };
}

/**
 * The best label sequence for `length` positions of `scores` (label ids into weights.labels), written to
 * `out` if it is given and long enough. Mirrors crf1dc_viterbi: no BOS/EOS transitions; at each (t, j)
 * score = prev[i] + trans[i][j] over i ascending, kept only if strictly greater (so the lowest i wins a
 * tie), then alpha = max + state; the last position takes the lowest label of maximal alpha. `scores` is
 * read only.
 */
export function viterbi(scores: Float64Array, length: number, weights: CrfWeights, out?: Int32Array): Int32Array {
  const L = weights.labels.length;
  const labels = out !== undefined && out.length >= length ? out : new Int32Array(length);
  if (length <= 0) return labels;
  if (scores.length < length * L) throw new RangeError(`viterbi: ${scores.length} scores for ${length} positions × ${L} labels`);
  const { back, alpha } = scratch(length, L);
  const trans = weights.transition;
  let prev = 0;
  let cur = L;
  for (let j = 0; j < L; j++) alpha[j] = scores[j] ?? 0;
  for (let t = 1; t < length; t++) {
    for (let j = 0; j < L; j++) {
      let maxScore = -Number.MAX_VALUE;
      let argmax = -1;
      for (let i = 0; i < L; i++) {
        const score = (alpha[prev + i] ?? 0) + (trans[i * L + j] ?? 0);
        if (maxScore < score) {
          maxScore = score;
          argmax = i;
        }
      }
      // crfsuite keeps a stale back-pointer when no score beats -DBL_MAX (only with ±Infinity/NaN scores,
      // which parseCrfsuiteModel's weight bound rules out); we take label 0 so the result is deterministic.
      back[t * L + j] = argmax >= 0 ? argmax : 0;
      alpha[cur + j] = maxScore + (scores[t * L + j] ?? 0);
    }
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  labels[length - 1] = bestFinalLabel(alpha, prev, L);
  for (let t = length - 2; t >= 0; t--) labels[t] = back[(t + 1) * L + (labels[t + 1] ?? 0)] ?? 0;
  return labels;
}

/** The end of crf1dc_viterbi: label 0 unless a later label is strictly better. */
function bestFinalLabel(alpha: Float64Array, row: number, L: number): number {
  let maxScore = -Number.MAX_VALUE;
  let best = 0;
  for (let i = 0; i < L; i++) {
    const score = alpha[row + i] ?? 0;
    if (maxScore < score) {
      maxScore = score;
      best = i;
    }
  }
  return best;
}

/**
 * The key crfsuite looks an attribute up by: the binding converts the JS string to UTF-8 (lone surrogates
 * become U+FFFD) and crfsuite uses it as a C string (cut at the first NUL). Nothing else: the binding
 * gives every attribute the value 1 and never splits "name:value" (only crfsuite's command-line reader
 * does), so "x:1.5" is just a name.
 */
export function attributeKey(attribute: string): string {
  const nul = attribute.indexOf('\0');
  const key = nul >= 0 ? attribute.slice(0, nul) : attribute;
  return LONE_SURROGATE.test(key) ? key.replace(LONE_SURROGATE_GLOBAL, '\uFFFD') : key;
}
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_GLOBAL = /\p{Cs}/gu;

/** Attribute id of `attribute`, or -1 if the model does not know it (crfsuite then ignores it). */
export function attributeId(weights: CrfWeights, attribute: string): number {
  return weights.attributeIds.get(attributeKey(attribute)) ?? -1;
}

/**
 * Reference path: tags one sequence of attribute lists exactly as the binding's Tagger.tag(xseq) would.
 * Unknown attributes are ignored; an empty sequence gives no labels.
 */
export function tagAttributes(weights: CrfWeights, xseq: readonly (readonly string[])[]): string[] {
  const L = weights.labels.length;
  const scores = new Float64Array(xseq.length * L);
  xseq.forEach((item, t) => {
    for (const attribute of item) {
      const id = attributeId(weights, attribute);
      if (id >= 0) addStateScores(weights, id, scores, t);
    }
  });
  return Array.from(viterbi(scores, xseq.length, weights), (label) => weights.labels[label] ?? '');
}
