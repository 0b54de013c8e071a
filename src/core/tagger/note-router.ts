import { forEachInSeededEpochs, logit, sgdStep, type LogisticModel } from './logistic-regression.js';

/**
 * Which domain's weights a note is tagged with. The tagger learned each corpus's style and policy apart (case
 * reports, trial criteria, abstracts: see domains.ts) and tags a note best with the weights of the corpus it
 * reads like. A multinomial logistic regression over the note's words and a few style measures (sentence length,
 * line length, lines ending in a period, capitalised words) picks the domain, once per note. It is learned with
 * the tagger from the corpora's training documents and shipped with it: one linear model per domain.
 */
export interface NoteRouter {
  /** Per domain, its linear model (bias and feature weights). */
  domains: Readonly<Record<string, LogisticModel>>;
}

const MIN_WORD_LENGTH = 3;

function bucket(value: number, edges: readonly number[], names: readonly string[]): string {
  const index = edges.findIndex((edge) => value < edge);
  return names[index < 0 ? names.length - 1 : index] as string;
}

/**
 * The note's features from its sentences' words and its text: its distinct lower-case words of 3+ letters, and
 * buckets of its mean sentence length, words per line, share of lines ending in a period and of capitalised words.
 */
export function routerFeatures(text: string, sentenceWords: readonly (readonly string[])[]): string[] {
  const features = new Set<string>(['bias']);
  let words = 0;
  let capitalised = 0;
  for (const sentence of sentenceWords) {
    for (const word of sentence) {
      words++;
      const first = word.charCodeAt(0);
      if (first >= 65 && first <= 90 && word.length > 1) {
        const second = word.charCodeAt(1);
        if (second >= 97 && second <= 122) capitalised++;
      }
      if (word.length >= MIN_WORD_LENGTH && /^[a-z]+$/i.test(word)) features.add(`w=${word.toLowerCase()}`);
    }
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const periodEnded = lines.filter((line) => /\.\s*$/.test(line)).length;
  features.add(`sentence-length=${bucket(words / Math.max(1, sentenceWords.length), [8, 14, 22], ['xs', 's', 'm', 'l'])}`);
  features.add(`line-length=${lines.length < 2 ? 'one-line' : bucket(words / lines.length, [12], ['short', 'long'])}`);
  features.add(`period-ended=${bucket(periodEnded / Math.max(1, lines.length), [0.3, 0.7], ['few', 'some', 'most'])}`);
  features.add(`capitalised=${bucket(capitalised / Math.max(1, words), [0.07, 0.15], ['few', 'some', 'many'])}`);
  return [...features];
}

function scores(router: NoteRouter, names: readonly string[], features: readonly string[]): number[] {
  return names.map((name) => logit(router.domains[name] as LogisticModel, features));
}

/** The domain whose model scores the note highest. */
export function routeNote(router: NoteRouter, features: readonly string[]): string {
  const names = Object.keys(router.domains);
  const z = scores(router, names, features);
  let best = 0;
  for (let i = 1; i < z.length; i++) if ((z[i] as number) > (z[best] as number)) best = i;
  return names[best] as string;
}

/** Past this many distinct words a router's memory of them starts over (a long-running API reads open text). */
const MAX_REMEMBERED_WORDS = 50_000;
const LINE_BUCKETS = { sentenceLength: ['xs', 's', 'm', 'l'], lineLength: ['one-line', 'short', 'long'], periodEnded: ['few', 'some', 'most'], capitalised: ['few', 'some', 'many'] } as const;

/**
 * routeNote(router, routerFeatures(text, sentenceWords)) for one note after another, without building the
 * feature strings: each word's weights in every domain are looked up once and remembered, the style buckets'
 * at creation. Each domain's score sums the same terms in the same order as logit() does, so it picks the same
 * domain, bit for bit.
 */
export function noteRouting(router: NoteRouter): (text: string, sentenceWords: readonly (readonly string[])[]) => string {
  const names = Object.keys(router.domains);
  const models = names.map((name) => router.domains[name] as LogisticModel);
  const D = names.length;
  const weightsOf = (feature: string): Float64Array => Float64Array.from(models, (model) => model.weights.get(feature) ?? 0);
  const biasFeature = weightsOf('bias');
  const bucketWeights = (prefix: string, values: readonly string[]): Float64Array[] => values.map((value) => weightsOf(`${prefix}=${value}`));
  const sentenceLength = bucketWeights('sentence-length', LINE_BUCKETS.sentenceLength);
  const lineLength = bucketWeights('line-length', LINE_BUCKETS.lineLength);
  const periodEnded = bucketWeights('period-ended', LINE_BUCKETS.periodEnded);
  const capitalisedWeights = bucketWeights('capitalised', LINE_BUCKETS.capitalised);
  // A word feature some domain weighs has a number k: its weights are arena[k * D ...], and countedIn[k] is the
  // last note that counted it (a note counts a feature once). Words no domain weighs add nothing: NOT_WEIGHED.
  let arena = new Float64Array(1024 * D);
  let countedIn = new Int32Array(1024);
  let weighed = 0;
  /** By lower-cased word, its number (or NOT_WEIGHED). */
  const byLowerWord = new Map<string, number>();
  /** By the word as written: its lower-cased word's number, NOT_WEIGHED when it is no feature or no domain weighs it. */
  const byWord = new Map<string, number>();
  const numberOf = (word: string): number => {
    let found = byWord.get(word);
    if (found !== undefined) return found;
    found = NOT_WEIGHED;
    if (/^[a-z]+$/i.test(word)) {
      const lower = word.toLowerCase();
      let k = byLowerWord.get(lower);
      if (k === undefined) {
        const weights = weightsOf(`w=${lower}`);
        k = NOT_WEIGHED;
        if (weights.some((w) => w !== 0)) {
          if ((weighed + 1) * D > arena.length) {
            const grown = new Float64Array(2 * arena.length);
            grown.set(arena);
            arena = grown;
            const grownCounts = new Int32Array(2 * countedIn.length);
            grownCounts.set(countedIn);
            countedIn = grownCounts;
          }
          arena.set(weights, weighed * D);
          countedIn[weighed] = 0;
          k = weighed++;
        }
        byLowerWord.set(lower, k);
      }
      found = k;
    }
    byWord.set(word, found);
    return found;
  };
  const z = new Float64Array(D);
  let note = 0;
  return (text, sentenceWords) => {
    note++;
    // Between notes only: a number given anew within a note would count its word a second time.
    if (byWord.size >= MAX_REMEMBERED_WORDS) {
      byWord.clear();
      byLowerWord.clear();
      weighed = 0;
    }
    for (let d = 0; d < D; d++) z[d] = (models[d] as LogisticModel).bias + (biasFeature[d] as number);
    let words = 0;
    let capitalised = 0;
    for (const sentence of sentenceWords) {
      for (const word of sentence) {
        words++;
        const first = word.charCodeAt(0);
        const upperFirst = first >= 65 && first <= 90;
        if (upperFirst && word.length > 1) {
          const second = word.charCodeAt(1);
          if (second >= 97 && second <= 122) capitalised++;
        }
        // Only words of letters are features: most other tokens are ruled out by their first character.
        if (word.length < MIN_WORD_LENGTH || !(upperFirst || (first >= 97 && first <= 122))) continue;
        const k = numberOf(word);
        if (k === NOT_WEIGHED || countedIn[k] === note) continue;
        countedIn[k] = note;
        const at = k * D;
        for (let d = 0; d < D; d++) z[d] = (z[d] as number) + (arena[at + d] as number);
      }
    }
    const { lines, periodEndedLines } = countLines(text);
    addTo(z, sentenceLength[bucketIndex(words / Math.max(1, sentenceWords.length), SENTENCE_LENGTH_EDGES)] as Float64Array);
    addTo(z, lineLength[lines < 2 ? 0 : 1 + bucketIndex(words / lines, LINE_LENGTH_EDGES)] as Float64Array);
    addTo(z, periodEnded[bucketIndex(periodEndedLines / Math.max(1, lines), PERIOD_ENDED_EDGES)] as Float64Array);
    addTo(z, capitalisedWeights[bucketIndex(capitalised / Math.max(1, words), CAPITALISED_EDGES)] as Float64Array);
    let best = 0;
    for (let d = 1; d < D; d++) if ((z[d] as number) > (z[best] as number)) best = d;
    return names[best] as string;
  };
}

const NOT_WEIGHED = -1;
const SENTENCE_LENGTH_EDGES = [8, 14, 22];
const LINE_LENGTH_EDGES = [12];
const PERIOD_ENDED_EDGES = [0.3, 0.7];
const CAPITALISED_EDGES = [0.07, 0.15];

function addTo(z: Float64Array, weights: Float64Array): void {
  for (let d = 0; d < z.length; d++) z[d] = (z[d] as number) + (weights[d] as number);
}

/** bucket()'s index: the first edge the value is below, else the last bucket. */
function bucketIndex(value: number, edges: readonly number[]): number {
  for (let i = 0; i < edges.length; i++) if (value < (edges[i] as number)) return i;
  return edges.length;
}

/** The lines of the text that are not blank, and of them those ending in a period (then only white space). */
function countLines(text: string): { lines: number; periodEndedLines: number } {
  let lines = 0;
  let periodEndedLines = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let last = end - 1;
    while (last >= start && isWhiteSpace(text.charCodeAt(last))) last--;
    if (last >= start) {
      lines++;
      if (text.charCodeAt(last) === 46) periodEndedLines++;
    }
    start = end + 1;
  }
  return { lines, periodEndedLines };
}

/** What String.prototype.trim and the regular expression \s count as white space. */
function isWhiteSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

export interface RouterOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
  /** Words seen in fewer training notes than this are left out (they would only memorise documents). */
  minNotes: number;
}

export const DEFAULT_ROUTER_OPTIONS: RouterOptions = { epochs: 8, learningRate: 0.1, l2: 1e-4, seed: 1, minNotes: 3 };

/** Softmax regression by SGD with L2, in a seeded order: the same notes always give the same router. */
export function trainNoteRouter(notes: readonly { domain: string; features: readonly string[] }[], options: RouterOptions = DEFAULT_ROUTER_OPTIONS): NoteRouter {
  const names = [...new Set(notes.map((n) => n.domain))].sort();
  const seen = new Map<string, number>();
  for (const note of notes) for (const feature of note.features) seen.set(feature, (seen.get(feature) ?? 0) + 1);
  const kept = (feature: string): boolean => !feature.startsWith('w=') || (seen.get(feature) ?? 0) >= options.minNotes;
  const items = notes.map((n) => ({ y: names.indexOf(n.domain), features: n.features.filter(kept) }));
  const models = names.map(() => ({ bias: 0, weights: new Map<string, number>() }));
  const router: NoteRouter = { domains: Object.fromEntries(names.map((name, k) => [name, models[k] as LogisticModel])) };
  forEachInSeededEpochs(items, options.epochs, options.seed, (item) => {
    const z = scores(router, names, item.features);
    const top = Math.max(...z);
    const exp = z.map((v) => Math.exp(v - top));
    const total = exp.reduce((a, b) => a + b, 0);
    models.forEach((model, k) => sgdStep(model, item.features, (exp[k] as number) / total - (k === item.y ? 1 : 0), options));
  });
  return router;
}
