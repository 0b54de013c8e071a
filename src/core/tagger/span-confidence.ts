import type { CrfWeights } from './crf-model-file.js';
import type { LabelEncoding, TokenSpan } from './label-codec.js';

/**
 * The probability a linear-chain CRF gives an entity span: P(tokens start..end-1 carry exactly the span's
 * tags, and the tags just outside do not extend it), by forward–backward over the same state scores and
 * transitions the Viterbi decoder uses. The crfsuite binding exposes no marginals, but we already hold the
 * model's weights and the sentence's scores, so the exact marginal costs one scaled forward and backward
 * pass (no logs: states and transitions are exponentiated once and each position is rescaled to sum to 1,
 * as crf1d_context.c does).
 *
 * Like CRFsuite's crf1d, the model has no BOS/EOS transitions: the first position's score is its state score.
 */
export interface SpanScorer {
  /** P(span) under the model, in [0, 1]; the span's tags are canonical (BIO: B-X I-X…; IO: X X…). */
  probability(span: TokenSpan): number;
  /**
   * Every span of at most maxLength tokens whose probability is at least `threshold`, with it. Pruned
   * exactly: P(the span's tags on tokens start..end-1) only falls as the span grows and bounds P(span).
   */
  candidates(threshold: number, maxLength: number): (TokenSpan & { probability: number })[];
}

interface LabelRoles {
  /** Label id of the span's first and following tags, per span type. */
  first: Record<TokenSpan['type'], number>;
  inside: Record<TokenSpan['type'], number>;
  /** Per span type: may this label follow the span's last token (or precede its first) without extending it? */
  after: Record<TokenSpan['type'], Uint8Array>;
  before: Record<TokenSpan['type'], Uint8Array>;
}

const rolesByWeights = new WeakMap<CrfWeights, Map<LabelEncoding, LabelRoles | null>>();
const expTransitionByWeights = new WeakMap<CrfWeights, Float64Array>();

/** Which label ids play which role in a span, or null when the model lacks a label the encoding needs. */
function labelRoles(weights: CrfWeights, encoding: LabelEncoding): LabelRoles | null {
  let byEncoding = rolesByWeights.get(weights);
  if (!byEncoding) rolesByWeights.set(weights, (byEncoding = new Map()));
  if (byEncoding.has(encoding)) return byEncoding.get(encoding) ?? null;
  const id = (label: string): number => weights.labels.indexOf(label);
  const L = weights.labels.length;
  const build = (type: TokenSpan['type']): { first: number; inside: number; after: Uint8Array; before: Uint8Array } | null => {
    const first = id(encoding === 'BIO' ? `B-${type}` : type);
    const inside = id(encoding === 'BIO' ? `I-${type}` : type);
    if (first < 0 || inside < 0) return null;
    const after = new Uint8Array(L).fill(1);
    after[inside] = 0;
    // BIO: whatever precedes a B- leaves it a new span; IO: a run of the same label would extend it.
    const before = new Uint8Array(L).fill(1);
    if (encoding === 'IO') before[inside] = 0;
    return { first, inside, after, before };
  };
  const D = build('D');
  const T = build('T');
  const roles: LabelRoles | null =
    D && T ? { first: { D: D.first, T: T.first }, inside: { D: D.inside, T: T.inside }, after: { D: D.after, T: T.after }, before: { D: D.before, T: T.before } } : null;
  byEncoding.set(encoding, roles);
  return roles;
}

function expTransitions(weights: CrfWeights): Float64Array {
  let exp = expTransitionByWeights.get(weights);
  if (!exp) {
    exp = Float64Array.from(weights.transition, (w) => Math.exp(w));
    expTransitionByWeights.set(weights, exp);
  }
  return exp;
}

let scorerGeneration = 0;
// Reused across calls: a scorer holds its sentence's tables only until the next spanScorer call.
let stateScratch = new Float64Array(0);
let alphaScratch = new Float64Array(0);
let betaScratch = new Float64Array(0);
let scaleScratch = new Float64Array(0);

/**
 * Forward–backward over `scores` (length × L state scores, as the tagger computed them for Viterbi).
 * `scores` is read now and not kept. The scorer is valid until the next call of spanScorer (its tables
 * are reused buffers): score a sentence's spans before tagging the next.
 */
export function spanScorer(scores: Float64Array, length: number, weights: CrfWeights, encoding: LabelEncoding): SpanScorer {
  const L = weights.labels.length;
  const roles = labelRoles(weights, encoding);
  if (length <= 0 || roles === null) return { probability: () => 0, candidates: () => [] };
  const trans = expTransitions(weights);
  if (stateScratch.length < length * L) {
    const size = Math.max(length * L, 2 * stateScratch.length);
    stateScratch = new Float64Array(size);
    alphaScratch = new Float64Array(size);
    betaScratch = new Float64Array(size);
    scaleScratch = new Float64Array(Math.ceil(size / L) + 1);
  }
  const state = stateScratch;
  const alpha = alphaScratch;
  const beta = betaScratch;
  const scale = scaleScratch;
  const generation = ++scorerGeneration;
  // Exponentiated state scores, each position shifted by its maximum (the shift cancels in every ratio).
  for (let t = 0; t < length; t++) {
    let max = -Infinity;
    for (let l = 0; l < L; l++) max = Math.max(max, scores[t * L + l] as number);
    for (let l = 0; l < L; l++) state[t * L + l] = Math.exp((scores[t * L + l] as number) - max);
  }
  // Scaled forward: alpha[t] sums to 1; scale[t] is what position t's row summed to before scaling.
  for (let t = 0; t < length; t++) {
    let sum = 0;
    for (let j = 0; j < L; j++) {
      let value: number;
      if (t === 0) {
        value = state[j] as number;
      } else {
        value = 0;
        for (let i = 0; i < L; i++) value += (alpha[(t - 1) * L + i] as number) * (trans[i * L + j] as number);
        value *= state[t * L + j] as number;
      }
      alpha[t * L + j] = value;
      sum += value;
    }
    scale[t] = sum > 0 ? sum : 1;
    for (let j = 0; j < L; j++) alpha[t * L + j] = (alpha[t * L + j] as number) / (scale[t] as number);
  }
  // Scaled backward with the same scales: alpha[t][j] · beta[t][j] is P(y_t = j).
  for (let i = 0; i < L; i++) beta[(length - 1) * L + i] = 1;
  for (let t = length - 2; t >= 0; t--) {
    for (let i = 0; i < L; i++) {
      let value = 0;
      for (let j = 0; j < L; j++) value += (trans[i * L + j] as number) * (state[(t + 1) * L + j] as number) * (beta[(t + 1) * L + j] as number);
      beta[t * L + i] = value / (scale[t + 1] as number);
    }
  }

  // P(span) = entering × continuing (each further token) × leaving, all scaled as alpha and beta are.
  /** Into the span's first tag at `start`: from an allowed previous tag (or nothing at t = 0). */
  const entering = (type: TokenSpan['type'], start: number): number => {
    const first = roles.first[type];
    if (start === 0) return (state[first] as number) / (scale[0] as number);
    const before = roles.before[type];
    let into = 0;
    for (let i = 0; i < L; i++) if (before[i]) into += (alpha[(start - 1) * L + i] as number) * (trans[i * L + first] as number);
    return (into * (state[start * L + first] as number)) / (scale[start] as number);
  };
  /** From tag `previous` at t − 1 to the span's inside tag at t. */
  const continuing = (previous: number, inside: number, t: number): number =>
    ((trans[previous * L + inside] as number) * (state[t * L + inside] as number)) / (scale[t] as number);
  /** Out of a span ending before `end`: to a tag that does not continue it, then the rest of the sentence (beta). */
  const leaving = (type: TokenSpan['type'], previous: number, end: number): number => {
    if (end >= length) return 1;
    const after = roles.after[type];
    let out = 0;
    for (let j = 0; j < L; j++) {
      if (after[j]) out += (trans[previous * L + j] as number) * (state[end * L + j] as number) * (beta[end * L + j] as number);
    }
    return out / (scale[end] as number);
  };
  const checkCurrent = (): void => {
    if (generation !== scorerGeneration) throw new Error('spanScorer: a later call reused this scorer\'s tables');
  };

  const probability = (span: TokenSpan): number => {
    checkCurrent();
    const { start, end, type } = span;
    if (!(start >= 0 && end > start && end <= length)) return 0;
    const inside = roles.inside[type];
    let p = entering(type, start);
    let previous = roles.first[type];
    for (let t = start + 1; t < end; t++) {
      p *= continuing(previous, inside, t);
      previous = inside;
    }
    return Math.min(1, Math.max(0, p * leaving(type, previous, end)));
  };

  const candidates = (threshold: number, maxLength: number): (TokenSpan & { probability: number })[] => {
    checkCurrent();
    const found: (TokenSpan & { probability: number })[] = [];
    for (const type of ['D', 'T'] as const) {
      const inside = roles.inside[type];
      const first = roles.first[type];
      for (let start = 0; start < length; start++) {
        // P(the span's first tag at start) bounds the span's probability: most starts stop here, without
        // entering()'s sum (with BIO the same number the first step below would test).
        if ((alpha[start * L + first] as number) * (beta[start * L + first] as number) < threshold) continue;
        // prefix: P(the span's tags on start..end-1), without what follows; it only falls as the span grows.
        let prefix = entering(type, start);
        let previous = first;
        for (let end = start + 1; end <= length && end - start <= maxLength; end++) {
          if (end > start + 1) {
            prefix *= continuing(previous, inside, end - 1);
            previous = inside;
          }
          if (prefix * (beta[(end - 1) * L + previous] as number) < threshold) break;
          const p = Math.min(1, Math.max(0, prefix * leaving(type, previous, end)));
          if (p >= threshold) found.push({ type, start, end, probability: p });
        }
      }
    }
    return found;
  };

  return { probability, candidates };
}
