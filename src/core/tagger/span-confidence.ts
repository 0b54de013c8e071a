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
const NO_SPANS: SpanScorer = { probability: () => 0, candidates: () => [] };
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
  if (length <= 0 || roles === null) return NO_SPANS;
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
    const row = t * L;
    let max = -Infinity;
    for (let l = 0; l < L; l++) max = Math.max(max, scores[row + l] as number);
    for (let l = 0; l < L; l++) state[row + l] = Math.exp((scores[row + l] as number) - max);
  }
  // Scaled forward: alpha[t] sums to 1; scale[t] is what position t's row summed to before scaling.
  let sum = 0;
  for (let j = 0; j < L; j++) {
    const value = state[j] as number;
    alpha[j] = value;
    sum += value;
  }
  scale[0] = sum > 0 ? sum : 1;
  for (let j = 0; j < L; j++) alpha[j] = (alpha[j] as number) / (scale[0] as number);
  for (let t = 1; t < length; t++) {
    const row = t * L;
    const previousRow = row - L;
    sum = 0;
    for (let j = 0; j < L; j++) {
      let value = 0;
      for (let i = 0; i < L; i++) value += (alpha[previousRow + i] as number) * (trans[i * L + j] as number);
      value *= state[row + j] as number;
      alpha[row + j] = value;
      sum += value;
    }
    const rowScale = sum > 0 ? sum : 1;
    scale[t] = rowScale;
    for (let j = 0; j < L; j++) alpha[row + j] = (alpha[row + j] as number) / rowScale;
  }
  // Scaled backward with the same scales: alpha[t][j] · beta[t][j] is P(y_t = j).
  for (let i = 0; i < L; i++) beta[(length - 1) * L + i] = 1;
  for (let t = length - 2; t >= 0; t--) {
    const row = t * L;
    const nextRow = row + L;
    const nextScale = scale[t + 1] as number;
    for (let i = 0; i < L; i++) {
      let value = 0;
      for (let j = 0; j < L; j++) value += (trans[i * L + j] as number) * (state[nextRow + j] as number) * (beta[nextRow + j] as number);
      beta[row + i] = value / nextScale;
    }
  }
  return new ScaledTables(generation, length, L, roles, trans, state, alpha, beta, scale);
}

const SPAN_TYPES = ['D', 'T'] as const;

/** One sentence's forward–backward tables (the module's reused buffers) and what they answer. */
class ScaledTables implements SpanScorer {
  constructor(
    private readonly generation: number,
    private readonly length: number,
    private readonly L: number,
    private readonly roles: LabelRoles,
    private readonly trans: Float64Array,
    private readonly state: Float64Array,
    private readonly alpha: Float64Array,
    private readonly beta: Float64Array,
    private readonly scale: Float64Array,
  ) {}

  // P(span) = entering × continuing (each further token) × leaving, all scaled as alpha and beta are.
  /** Into the span's first tag at `start`: from an allowed previous tag (or nothing at t = 0). */
  private entering(type: TokenSpan['type'], start: number): number {
    const { L, alpha, trans, state, scale } = this;
    const first = this.roles.first[type];
    if (start === 0) return (state[first] as number) / (scale[0] as number);
    const before = this.roles.before[type];
    let into = 0;
    for (let i = 0; i < L; i++) if (before[i]) into += (alpha[(start - 1) * L + i] as number) * (trans[i * L + first] as number);
    return (into * (state[start * L + first] as number)) / (scale[start] as number);
  }

  /** From tag `previous` at t − 1 to the span's inside tag at t. */
  private continuing(previous: number, inside: number, t: number): number {
    const L = this.L;
    return ((this.trans[previous * L + inside] as number) * (this.state[t * L + inside] as number)) / (this.scale[t] as number);
  }

  /** Out of a span ending before `end`: to a tag that does not continue it, then the rest of the sentence (beta). */
  private leaving(type: TokenSpan['type'], previous: number, end: number): number {
    if (end >= this.length) return 1;
    const { L, trans, state, beta } = this;
    const after = this.roles.after[type];
    let out = 0;
    for (let j = 0; j < L; j++) {
      if (after[j]) out += (trans[previous * L + j] as number) * (state[end * L + j] as number) * (beta[end * L + j] as number);
    }
    return out / (this.scale[end] as number);
  }

  private checkCurrent(): void {
    if (this.generation !== scorerGeneration) throw new Error('spanScorer: a later call reused this scorer\'s tables');
  }

  probability(span: TokenSpan): number {
    this.checkCurrent();
    const { start, end, type } = span;
    if (!(start >= 0 && end > start && end <= this.length)) return 0;
    const inside = this.roles.inside[type];
    let p = this.entering(type, start);
    let previous = this.roles.first[type];
    for (let t = start + 1; t < end; t++) {
      p *= this.continuing(previous, inside, t);
      previous = inside;
    }
    return Math.min(1, Math.max(0, p * this.leaving(type, previous, end)));
  }

  candidates(threshold: number, maxLength: number): (TokenSpan & { probability: number })[] {
    this.checkCurrent();
    const { L, alpha, beta, length } = this;
    const found: (TokenSpan & { probability: number })[] = [];
    for (const type of SPAN_TYPES) {
      const inside = this.roles.inside[type];
      const first = this.roles.first[type];
      for (let start = 0; start < length; start++) {
        // P(the span's first tag at start) bounds the span's probability: most starts stop here, without
        // entering()'s sum (with BIO the same number the first step below would test).
        if ((alpha[start * L + first] as number) * (beta[start * L + first] as number) < threshold) continue;
        // prefix: P(the span's tags on start..end-1), without what follows; it only falls as the span grows.
        let prefix = this.entering(type, start);
        let previous = first;
        for (let end = start + 1; end <= length && end - start <= maxLength; end++) {
          if (end > start + 1) {
            prefix *= this.continuing(previous, inside, end - 1);
            previous = inside;
          }
          if (prefix * (beta[(end - 1) * L + previous] as number) < threshold) break;
          const p = Math.min(1, Math.max(0, prefix * this.leaving(type, previous, end)));
          if (p >= threshold) found.push({ type, start, end, probability: p });
        }
      }
    }
    return found;
  }
}
