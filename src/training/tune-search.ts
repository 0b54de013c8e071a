import { formatDecoding } from '../core/tagger/span-decoding.js';
import { mulberry32 } from '../core/text/folds.js';
import type { LabelEncoding } from '../core/tagger/label-codec.js';
import type { TrainingSpec } from '../core/tagger/training-spec.js';

/**
 * The hyper-parameter search of `behealthy tune`, without I/O: which configurations are tried, in what
 * order, and how long one is expected to take.
 *
 * Coordinate search from the best configuration so far, starting at the incumbent (the production model's
 * configuration, always the first trial): each proposal changes one thing of the current best — c1 or c2 by
 * a step on a log scale, a feature template added or removed, the label encoding, the iteration count —
 * visiting the dimensions in turn, so that a short budget still touches each of them. A trial that beats the
 * best becomes the centre of the next moves, and the move that improved is tried again first (a pattern
 * step: c1 doubled twice, say). When every one-step move of the centre has been tried, random
 * configurations around it (seeded) follow.
 */

/** A trial's configuration: a TrainingSpec whose entity bias is left to the tune (chosen by CV, or fixed). */
export type TrialConfig = TrainingSpec;

export type Dimension = 'c1' | 'c2' | 'templates' | 'encoding' | 'iterations' | 'random';

export interface Proposal {
  config: TrialConfig;
  dimension: Dimension;
  /** The change from the centre it was made from ("c1 ×2", "+pos-notes-wide"). */
  move: string;
  /** Its place in ROTATION (absent for the incumbent, pattern and random proposals). */
  rotationIndex?: number;
}

/**
 * Library templates to add, most promising first, from the ablations of models/README.md: pos-notes-wide
 * (+0.002 on the .2 set), train-spans-x-relevance (−0.001 beside word-x-relevance), gazetteer-wide (−0.001),
 * then those measured on earlier sets or never with the shipped one. Library templates not named here follow.
 */
export const ADD_PRIORITY: readonly string[] = [
  'pos-notes-wide', 'train-spans-x-relevance', 'gazetteer-wide', 'relevance-by-type', 'gazetteer-x-relevance',
  'sentence-gazetteer', 'wide', 'pos-lexicon', 'cluster',
];

/**
 * Templates to remove, weakest first: stem and cues cost the least when removed in the ablation (−0.004
 * each on the first set); prefix, position, flags and neighbour-suffix were never measured alone.
 */
export const REMOVE_PRIORITY: readonly string[] = ['stem', 'cues', 'prefix', 'position', 'neighbour-suffix', 'flags'];

/** Never searched: `pos` runs compromise on every sentence (~9,000 words/s), too slow to serve. */
export const NEVER_SEARCHED: readonly string[] = ['pos'];

export interface SearchSpace {
  /** Templates that may be added, in the order to try them. */
  addable: string[];
  /** Templates that may be removed, in the order to try them. */
  removable: string[];
  c1: { min: number; max: number; step: number };
  c2: { min: number; max: number; step: number };
  iterations: { min: number; max: number };
}

/**
 * The space around an incumbent: `library` is every template this code has (declaration order);
 * `available` says whether a template's resources can be had (a template needing word clusters cannot be
 * tried when no clusters were built).
 */
export function searchSpace(incumbent: TrialConfig, library: readonly string[], available: (template: string) => boolean): SearchSpace {
  const candidates = library.filter((t) => !incumbent.templates.includes(t) && !NEVER_SEARCHED.includes(t) && available(t));
  const rank = (t: string): number => (ADD_PRIORITY.includes(t) ? ADD_PRIORITY.indexOf(t) : ADD_PRIORITY.length);
  return {
    addable: [...candidates].sort((a, b) => rank(a) - rank(b)),
    removable: REMOVE_PRIORITY.filter((t) => incumbent.templates.includes(t)),
    c1: { min: 0.001, max: 2, step: 2 },
    c2: { min: 0.0003, max: 3, step: 3 },
    iterations: { min: 50, max: 400 },
  };
}

function round3(value: number): number {
  return Number(value.toPrecision(3));
}

/** Identity of a configuration: two proposals with the same key are the same trial. */
export function configKey(config: TrialConfig): string {
  const p = config.parameters;
  return JSON.stringify([config.templates, config.labelEncoding, config.spanRules, p.c1, p.c2, p.maxIterations, p.possibleTransitions, p.possibleStates, formatDecoding(config.decoding)]);
}

/** What a configuration changes from the incumbent: "incumbent", or e.g. "c1 0.1, +pos-notes-wide, IO". */
export function describeChange(incumbent: TrialConfig, config: TrialConfig): string {
  const changes: string[] = [];
  const a = incumbent.parameters;
  const b = config.parameters;
  if (a.c1 !== b.c1) changes.push(`c1 ${b.c1}`);
  if (a.c2 !== b.c2) changes.push(`c2 ${b.c2}`);
  if (a.maxIterations !== b.maxIterations) changes.push(`iterations ${b.maxIterations}`);
  if (incumbent.labelEncoding !== config.labelEncoding) changes.push(config.labelEncoding);
  for (const t of incumbent.templates) if (!config.templates.includes(t)) changes.push(`-${t}`);
  for (const t of config.templates) if (!incumbent.templates.includes(t)) changes.push(`+${t}`);
  if (incumbent.spanRules.join(',') !== config.spanRules.join(',')) changes.push(`span rules ${config.spanRules.join(',') || 'none'}`);
  if (formatDecoding(incumbent.decoding) !== formatDecoding(config.decoding)) changes.push(`decoding ${formatDecoding(config.decoding)}`);
  return changes.length === 0 ? 'incumbent' : changes.join(', ');
}

type Move = { dimension: Dimension; move: string; apply: (c: TrialConfig) => TrialConfig | null };

const withParameters = (c: TrialConfig, change: Partial<TrialConfig['parameters']>): TrialConfig => ({ ...c, parameters: { ...c.parameters, ...change } });

function scaled(c: TrialConfig, name: 'c1' | 'c2', factor: number, range: { min: number; max: number }): TrialConfig | null {
  const value = round3(c.parameters[name] * factor);
  if (value < range.min || value > range.max || value === c.parameters[name]) return null;
  return withParameters(c, { [name]: value });
}

function iterationsTimes(c: TrialConfig, factor: number, range: { min: number; max: number }): TrialConfig | null {
  const value = Math.round((c.parameters.maxIterations * factor) / 10) * 10;
  if (value < range.min || value > range.max || value === c.parameters.maxIterations) return null;
  return withParameters(c, { maxIterations: value });
}

const flip = (e: LabelEncoding): LabelEncoding => (e === 'BIO' ? 'IO' : 'BIO');

/** The one-step moves of each dimension, in the order to try them. */
function movesOf(space: SearchSpace): Record<Exclude<Dimension, 'random'>, Move[]> {
  const add = (t: string): Move => ({ dimension: 'templates', move: `+${t}`, apply: (c) => (c.templates.includes(t) ? null : { ...c, templates: [...c.templates, t] }) });
  const remove = (t: string): Move => ({
    dimension: 'templates', move: `-${t}`,
    apply: (c) => (c.templates.includes(t) && c.templates.length > 1 ? { ...c, templates: c.templates.filter((x) => x !== t) } : null),
  });
  const templates: Move[] = [];
  for (let i = 0; i < Math.max(space.addable.length, space.removable.length); i++) {
    if (space.addable[i]) templates.push(add(space.addable[i] as string));
    if (space.removable[i]) templates.push(remove(space.removable[i] as string));
  }
  return {
    c1: [
      { dimension: 'c1', move: `c1 ×${space.c1.step}`, apply: (c) => scaled(c, 'c1', space.c1.step, space.c1) },
      { dimension: 'c1', move: `c1 ÷${space.c1.step}`, apply: (c) => scaled(c, 'c1', 1 / space.c1.step, space.c1) },
    ],
    c2: [
      { dimension: 'c2', move: `c2 ÷${space.c2.step}`, apply: (c) => scaled(c, 'c2', 1 / space.c2.step, space.c2) },
      { dimension: 'c2', move: `c2 ×${space.c2.step}`, apply: (c) => scaled(c, 'c2', space.c2.step, space.c2) },
    ],
    templates,
    encoding: [{ dimension: 'encoding', move: 'encoding', apply: (c) => ({ ...c, labelEncoding: flip(c.labelEncoding) }) }],
    // Fewer iterations first: cheaper, and 300 instead of 150 gained nothing in the ablation.
    iterations: [
      { dimension: 'iterations', move: 'iterations ×2/3', apply: (c) => iterationsTimes(c, 2 / 3, space.iterations) },
      { dimension: 'iterations', move: 'iterations ×4/3', apply: (c) => iterationsTimes(c, 4 / 3, space.iterations) },
    ],
  };
}

/** The order dimensions are visited in; templates, with the most moves, twice a round. */
export const ROTATION: readonly Exclude<Dimension, 'random'>[] = ['c1', 'templates', 'c2', 'encoding', 'templates', 'iterations'];

export class CoordinateSearch {
  readonly incumbent: TrialConfig;
  private readonly space: SearchSpace;
  private readonly moves: ReturnType<typeof movesOf>;
  private readonly random: () => number;
  private readonly tried = new Set<string>();
  private readonly proposalOf = new Map<string, Proposal & { from: string }>();
  private center: TrialConfig;
  private bestScore = -Infinity;
  private pointer = 0;
  private pattern: Move | null = null;
  private randomPool: Proposal[] = [];

  constructor(incumbent: TrialConfig, space: SearchSpace, seed: number) {
    this.incumbent = incumbent;
    this.center = incumbent;
    this.space = space;
    this.moves = movesOf(space);
    this.random = mulberry32(seed ^ 0x5eed);
  }

  /** The configuration moves are made from: the best completed so far (the incumbent before any). */
  get best(): TrialConfig {
    return this.center;
  }

  /** Untried configurations, the one to try first first (the incumbent until it has been started). */
  proposals(): Proposal[] {
    if (!this.tried.has(configKey(this.incumbent))) return [{ config: this.incumbent, dimension: 'random', move: 'incumbent' }];
    const out: Proposal[] = [];
    const seen = new Set<string>();
    const push = (move: Move, rotationIndex?: number): void => {
      const config = move.apply(this.center);
      if (!config) return;
      const key = configKey(config);
      if (this.tried.has(key) || seen.has(key)) return;
      seen.add(key);
      out.push({ config, dimension: move.dimension, move: move.move, ...(rotationIndex === undefined ? {} : { rotationIndex }) });
    };
    if (this.pattern) push(this.pattern);
    const queues = Object.fromEntries(Object.entries(this.moves).map(([d, list]) => [d, [...list]])) as Record<string, Move[]>;
    for (let round = 0; round < 64; round++) {
      let any = false;
      for (let i = 0; i < ROTATION.length; i++) {
        const at = (this.pointer + i) % ROTATION.length;
        const queue = queues[ROTATION[at] as string] as Move[];
        while (queue.length > 0) {
          const before = out.length;
          push(queue.shift() as Move, at);
          any = true;
          if (out.length > before) break;
        }
      }
      if (!any) break;
    }
    if (out.length === 0) out.push(...this.randomProposals());
    return out;
  }

  /** Random configurations around the centre, once every one-step move of it has been tried. */
  private randomProposals(): Proposal[] {
    this.randomPool = this.randomPool.filter((p) => !this.tried.has(configKey(p.config)));
    for (let attempt = 0; this.randomPool.length < 8 && attempt < 200; attempt++) {
      const logUniform = (min: number, max: number): number => round3(Math.exp(Math.log(min) + this.random() * (Math.log(max) - Math.log(min))));
      let config = withParameters(this.center, {
        c1: logUniform(this.center.parameters.c1 / 4, this.center.parameters.c1 * 4),
        c2: logUniform(this.center.parameters.c2 / 9, this.center.parameters.c2 * 9),
        maxIterations: [100, 150, 200][Math.floor(this.random() * 3)] as number,
      });
      if (this.random() < 0.25) config = { ...config, labelEncoding: flip(config.labelEncoding) };
      const templateMoves = this.moves.templates;
      if (templateMoves.length > 0 && this.random() < 0.5) config = templateMoves[Math.floor(this.random() * templateMoves.length)]?.apply(config) ?? config;
      const key = configKey(config);
      if (!this.tried.has(key) && !this.randomPool.some((p) => configKey(p.config) === key)) {
        this.randomPool.push({ config, dimension: 'random', move: 'random' });
      }
    }
    return [...this.randomPool];
  }

  /** The proposal is being tried: never proposed again; the rotation moves past its dimension. */
  started(proposal: Proposal): void {
    const key = configKey(proposal.config);
    this.tried.add(key);
    this.proposalOf.set(key, { ...proposal, from: configKey(this.center) });
    if (proposal.rotationIndex !== undefined) this.pointer = (proposal.rotationIndex + 1) % ROTATION.length;
    if (this.pattern && proposal.move === this.pattern.move) this.pattern = null;
  }

  /** A trial finished with this score (mean CV strict micro F1): a better one becomes the centre. Ties keep the earlier. */
  completed(config: TrialConfig, score: number): boolean {
    if (!(score > this.bestScore)) return false;
    this.bestScore = score;
    const proposal = this.proposalOf.get(configKey(config));
    const improvedFromCenter = proposal?.from === configKey(this.center);
    this.center = config;
    const all = Object.values(this.moves).flat();
    this.pattern = improvedFromCenter && proposal ? (all.find((m) => m.move === proposal.move) ?? null) : null;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Time estimates

export interface FoldObservation {
  iterations: number;
  seconds: number;
}

/** Margin on estimates: a trial expected to overrun the budget is not started. */
export const ESTIMATE_MARGIN = 1.15;

/** Expected wall seconds of one fold of `config`: the median seconds per L-BFGS iteration seen so far; null before any. */
export function estimateFoldSeconds(observations: readonly FoldObservation[], config: TrialConfig): number | null {
  if (observations.length === 0) return null;
  const perIteration = observations.map((o) => o.seconds / Math.max(1, o.iterations)).sort((a, b) => a - b);
  const middle = Math.floor(perIteration.length / 2);
  const median = perIteration.length % 2 === 1 ? (perIteration[middle] as number) : ((perIteration[middle - 1] as number) + (perIteration[middle] as number)) / 2;
  return median * config.parameters.maxIterations * ESTIMATE_MARGIN;
}

/**
 * When `folds` fold jobs of `foldSeconds` each would all be done, given when each process slot is free
 * (list scheduling: each job to the slot free first). Times in seconds.
 */
export function estimateFinish(slotFreeAt: readonly number[], folds: number, foldSeconds: number): number {
  const slots = [...slotFreeAt];
  if (slots.length === 0) return Infinity;
  let finish = Math.min(...slots);
  for (let i = 0; i < folds; i++) {
    let first = 0;
    for (let s = 1; s < slots.length; s++) if ((slots[s] as number) < (slots[first] as number)) first = s;
    const end = (slots[first] as number) + foldSeconds;
    slots[first] = end;
    finish = Math.max(finish, end);
  }
  return finish;
}
