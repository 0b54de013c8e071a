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
