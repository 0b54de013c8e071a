import porterStemmer from 'natural/lib/natural/stemmers/porter_stemmer.js';
import { createRequire } from 'node:module';
import type { Gazetteer } from './gazetteer.js';
import { relevanceProbability, type RelevanceModels, type RelevanceTarget } from './sentence-relevance.js';
import type { SpanLexicon } from './span-lexicon.js';
import type { WordMemo } from './word-memo.js';
import { clusterKey, type WordClusters } from './word-clusters.js';
import { NerError } from '../../errors.js';

/** What templates may consult besides the words themselves; passed in, never imported. */
export interface FeatureResources {
  gazetteer: Gazetteer | null;
  clusters: WordClusters | null;
  /** Learned with the CRF, from the same training sentences (see sentence-relevance.ts). */
  relevance: RelevanceModels | null;
  /** lower-cased word -> its most frequent part-of-speech tag in the training text (see partOfSpeech). */
  posLexicon: ReadonlyMap<string, string> | null;
  /** The same from the unlabelled notes: covers words the annotated corpus never uses. */
  notesPosLexicon: ReadonlyMap<string, string> | null;
  /** The names labelled in the training sentences, with how often each is labelled (see span-lexicon.ts). */
  spanLexicon: SpanLexicon | null;
}

interface TemplateBase {
  name: string;
  description: string;
  /** Token offsets the values are emitted at: -1 means "the previous word's value, seen from this token". */
  offsets: readonly number[];
}

/** Values depend on the word alone, so a tagger may cache them per distinct word. */
export interface WordTemplate extends TemplateBase {
  scope: 'word';
  /** Must depend only on the word and the resources, which are fixed for a model. */
  values(word: string, resources: FeatureResources): readonly string[];
}

/** Values depend on the whole sentence (gazetteer matches, position, cue words). */
export interface SentenceTemplate extends TemplateBase {
  scope: 'sentence';
  /** memos[i], when given, is lowerWords[i]'s WordMemo, for resources to cache per-word lookups on. */
  values(words: readonly string[], lowerWords: readonly string[], resources: FeatureResources, memos?: readonly WordMemo[]): readonly (readonly string[])[];
  /**
   * Set when every value is two lower-cased words joined by '|', the words at these offsets from the
   * token ('<s>' / '</s>' beyond the sentence), in this order: the encoder then looks ids up by the pair of
   * words and builds no string. values() must give exactly those strings.
   */
  pairs?: readonly (readonly [number, number])[];
  /**
   * Set when each token has at most one value, its own lower-cased word joined by '|' with a value of the
   * whole sentence: one of `variants`, index given by `variant` (null: no token has a value). The encoder
   * then keeps each word's ids per variant and builds no string. values() must give exactly those strings.
   */
  wordJoin?: {
    variants: readonly string[];
    variant(lowerWords: readonly string[], resources: FeatureResources, memos?: readonly WordMemo[]): number | null;
  };
}

export const SENTENCE_START = '<s>';
export const SENTENCE_END = '</s>';

export type FeatureTemplate = WordTemplate | SentenceTemplate;

const WINDOW_2 = [-2, -1, 0, 1, 2] as const;
const WINDOW_1 = [-1, 0, 1] as const;
const CENTER = [0] as const;

/** "Cisplatin-2" → "Xx-d": character classes with runs collapsed. */
export function wordShape(word: string): string {
  let shape = '';
  let previous = '';
  for (const char of word) {
    let cls: string;
    if (char >= 'A' && char <= 'Z') cls = 'X';
    else if (char >= 'a' && char <= 'z') cls = 'x';
    else if (char >= '0' && char <= '9') cls = 'd';
    else if (char.toLowerCase() !== char.toUpperCase()) cls = char === char.toUpperCase() ? 'X' : 'x';
    else cls = char;
    if (cls !== previous) shape += cls;
    previous = cls;
  }
  return shape;
}

/**
 * Words longer than this are not stemmed: natural's Porter stemmer takes time quadratic in the word's length
 * (its patterns rescan the word from every position: 10,000 letters 0.4 s, 100,000 letters 44 s). The longest
 * token of the corpora is 82 characters (a regimen in MACCROBAT; 56 in the BeHealthy training split, 47 in
 * MTSamples), and Porter's steps shorten a word by at most 21 characters, so no model trained on them has seen
 * the stem of a longer word: leaving such a word whole changes no feature a model knows.
 */
export const MAX_STEMMED_WORD_LENGTH = 128;

/** Porter stem of a lower-cased word; a word longer than {@link MAX_STEMMED_WORD_LENGTH} is returned whole. */
export function boundedStem(lowerWord: string): string {
  return lowerWord.length > MAX_STEMMED_WORD_LENGTH ? lowerWord : porterStemmer.stem(lowerWord);
}

function wordFlags(word: string): string[] {
  const flags: string[] = [];
  const hasLetter = /\p{L}/u.test(word);
  if (hasLetter && word === word.toUpperCase() && word.length > 1) flags.push('upper');
  else if (hasLetter && word[0] === word[0]?.toUpperCase() && word.slice(1) === word.slice(1).toLowerCase()) flags.push('title');
  if (/\d/.test(word)) flags.push(hasLetter ? 'alnum' : 'digit');
  if (word.includes('-')) flags.push('hyphen');
  if (!hasLetter && !/\d/.test(word)) flags.push('punct');
  return flags;
}

/** Words that, anywhere in a sentence, signal a disease–treatment statement (the corpus labels only those). */
// Shared value lists: most tokens get the same few, and the encoder only reads them.
const NONE: readonly string[] = Object.freeze([]);
const FIRST: readonly string[] = Object.freeze(['first']);
const LAST: readonly string[] = Object.freeze(['last']);
const FIRST_AND_LAST: readonly string[] = Object.freeze(['first', 'last']);

const RELATION_CUES = new Map<string, string>([
  ['treat', 'treat'], ['treated', 'treat'], ['treating', 'treat'], ['treatment', 'treat'], ['treatments', 'treat'],
  ['therapy', 'therapy'], ['therapies', 'therapy'], ['therapeutic', 'therapy'],
  ['patients', 'patient'], ['patient', 'patient'],
  ['efficacy', 'efficacy'], ['effective', 'efficacy'], ['effectiveness', 'efficacy'],
  ['trial', 'trial'], ['randomized', 'trial'], ['randomised', 'trial'],
  ['prevent', 'prevent'], ['prevention', 'prevent'], ['prophylaxis', 'prevent'],
  ['management', 'manage'], ['managed', 'manage'],
  ['received', 'receive'], ['receiving', 'receive'], ['underwent', 'receive'], ['undergoing', 'receive'],
  ['with', 'with'], ['for', 'for'],
]);

type RelevanceBucket = 'lo' | 'mid' | 'hi';
const RELEVANCE_BUCKETS: readonly RelevanceBucket[] = ['lo', 'mid', 'hi'];

const LIBRARY: readonly FeatureTemplate[] = [
  {
    name: 'lower', scope: 'word', offsets: WINDOW_2,
    description: 'the lower-cased word, in a window of ±2',
    values: (word) => [word.toLowerCase()],
  },
  {
    name: 'suffix', scope: 'word', offsets: CENTER,
    description: 'lower-cased suffixes of 2, 3 and 4 characters',
    values: (word) => affixes(word.toLowerCase(), (w, n) => w.slice(-n)),
  },
  {
    name: 'prefix', scope: 'word', offsets: CENTER,
    description: 'lower-cased prefixes of 2, 3 and 4 characters',
    values: (word) => affixes(word.toLowerCase(), (w, n) => w.slice(0, n)),
  },
  {
    name: 'shape', scope: 'word', offsets: WINDOW_1,
    description: 'collapsed character-class shape (Xx-d), in a window of ±1',
    values: (word) => [wordShape(word)],
  },
  {
    name: 'flags', scope: 'word', offsets: CENTER,
    description: 'upper / title case, digits, hyphen, punctuation',
    values: wordFlags,
  },
  {
    name: 'stem', scope: 'word', offsets: WINDOW_1,
    description: `Porter stem (natural) of the lower-cased word, in a window of ±1 (a word of more than ${MAX_STEMMED_WORD_LENGTH} characters is its own stem)`,
    values: (word) => [boundedStem(word.toLowerCase())],
  },
  {
    name: 'position', scope: 'sentence', offsets: CENTER,
    description: 'first and last token of the sentence',
    values: (words) => words.map((_, i) => (i === 0 ? (words.length === 1 ? FIRST_AND_LAST : FIRST) : i === words.length - 1 ? LAST : NONE)),
  },
  {
    name: 'bigram', scope: 'sentence', offsets: CENTER,
    description: 'lower-cased word pairs (previous|this, this|next)',
    pairs: [[-1, 0], [0, 1]],
    values: (_words, lower) => lower.map((w, i) => [`${lower[i - 1] ?? SENTENCE_START}|${w}`, `${w}|${lower[i + 1] ?? SENTENCE_END}`]),
  },
  {
    name: 'gazetteer', scope: 'sentence', offsets: WINDOW_1,
    description: 'longest match of drug / disease names from the open lexicons (B-/I- tags), in a window of ±1',
    values: (_words, lower, resources, memos) => resources.gazetteer?.match(lower, memos) ?? lower.map(() => []),
  },
  {
    name: 'cues', scope: 'sentence', offsets: CENTER,
    description: 'relation cue words present anywhere in the sentence (treat, therapy, patients, trial, ...)',
    values: (_words, lower) => {
      let found: Set<string> | undefined;
      for (const word of lower) {
        const cue = RELATION_CUES.get(word);
        if (cue !== undefined) (found ??= new Set()).add(cue);
      }
      const cues = found ? [...found].sort() : NONE;
      return lower.map(() => cues);
    },
  },
  {
    name: 'train-spans', scope: 'sentence', offsets: WINDOW_1,
    description: 'longest match of the names labelled in the training sentences (B-/I- and label), with how often the name is labelled where it occurs (lo / mid / hi), in a window of ±1',
    values: (_words, lower, resources, memos) => resources.spanLexicon?.match(lower, memos) ?? lower.map(() => []),
  },
  {
    name: 'neighbour-suffix', scope: 'word', offsets: [-1, 1],
    description: 'lower-cased 3-character suffix of the previous and next word',
    values: (word) => (word.length > 3 ? [word.toLowerCase().slice(-3)] : []),
  },
  {
    name: 'wide', scope: 'word', offsets: [-3, 3],
    description: 'the lower-cased word three tokens away',
    values: (word) => [word.toLowerCase()],
  },
  {
    name: 'sentence-gazetteer', scope: 'sentence', offsets: CENTER,
    description: 'whether the sentence names a lexicon drug / disease anywhere',
    values: (_words, lower, resources) => {
      const kinds = new Set((resources.gazetteer?.match(lower) ?? []).flat().filter((t) => t.startsWith('B-')).map((t) => t.slice(2)));
      const values = [...kinds].sort();
      return lower.map(() => values);
    },
  },
  {
    name: 'cluster', scope: 'word', offsets: WINDOW_1,
    description: 'word cluster ids (three levels) learned from unlabelled clinical text, in a window of ±1',
    values: (word, resources) => {
      const ids = resources.clusters?.clusters.get(clusterKey(word));
      return ids ? ids.map((id, level) => `${resources.clusters?.levels[level]}:${id}`) : [];
    },
  },
  {
    name: 'relevance', scope: 'sentence', offsets: CENTER,
    description: 'decile of the probability that the sentence carries any annotation (bag-of-words classifier)',
    values: (_words, lower, resources, memos) => relevanceDeciles(lower, resources, ['any'], memos),
  },
  {
    name: 'relevance-by-type', scope: 'sentence', offsets: CENTER,
    description: 'deciles of the probabilities that the sentence carries a disease / a treatment annotation',
    values: (_words, lower, resources) => relevanceDeciles(lower, resources, ['disease', 'treatment']),
  },
  {
    name: 'word-x-relevance', scope: 'sentence', offsets: CENTER,
    description: 'the lower-cased word joined with a low / mid / high bucket of the sentence relevance, so a word may weigh differently in sentences the annotators labelled',
    wordJoin: { variants: RELEVANCE_BUCKETS, variant: (lower, resources, memos) => relevanceBucketIndex(lower, resources, memos) },
    values: (_words, lower, resources) => {
      const bucket = relevanceBucket(lower, resources);
      if (bucket === null) return lower.map(() => NONE);
      return lower.map((word) => [`${word}|${bucket}`]);
    },
  },
  {
    name: 'train-spans-x-relevance', scope: 'sentence', offsets: CENTER,
    description: 'train-spans matches joined with a low / mid / high bucket of the sentence relevance: a name weighs more in sentences like those the annotators labelled',
    values: (_words, lower, resources) => crossWithRelevance(resources.spanLexicon?.match(lower), lower, resources),
  },
  {
    name: 'gazetteer-x-relevance', scope: 'sentence', offsets: CENTER,
    description: 'gazetteer matches joined with a low / mid / high bucket of the sentence relevance',
    values: (_words, lower, resources) => crossWithRelevance(resources.gazetteer?.match(lower), lower, resources),
  },
  {
    name: 'pos-lexicon', scope: 'word', offsets: WINDOW_1,
    description: "the word's most frequent part-of-speech tag (compromise, run on the training text only), in a window of ±1",
    values: (word, resources) => {
      const tag = resources.posLexicon?.get(word.toLowerCase());
      return tag ? [tag] : [];
    },
  },
  {
    name: 'pos-notes', scope: 'word', offsets: WINDOW_1,
    description: "the word's most frequent part-of-speech tag in the unlabelled MTSamples notes (compromise), in a window of ±1",
    values: (word, resources) => {
      const tag = resources.notesPosLexicon?.get(word.toLowerCase());
      return tag ? [tag] : [];
    },
  },
  {
    name: 'pos-notes-wide', scope: 'word', offsets: [-2, 2],
    description: 'pos-notes two tokens away',
    values: (word, resources) => {
      const tag = resources.notesPosLexicon?.get(word.toLowerCase());
      return tag ? [tag] : [];
    },
  },
  {
    name: 'gazetteer-wide', scope: 'sentence', offsets: [-2, 2],
    description: 'gazetteer matches two tokens away',
    values: (_words, lower, resources) => resources.gazetteer?.match(lower) ?? lower.map(() => []),
  },
  {
    name: 'pos', scope: 'sentence', offsets: WINDOW_1,
    description: 'part-of-speech tag from compromise (slow: ~10x the other templates)',
    values: (words) => partOfSpeech(words),
  },
];

// Several templates ask for the same sentence's probability in a row; the encoder passes them one array.
let lastLower: readonly string[] | null = null;
let lastModels: RelevanceModels | null = null;
let lastProbability = 0;
function anyRelevance(lower: readonly string[], models: RelevanceModels, memos?: readonly WordMemo[]): number {
  if (lower !== lastLower || models !== lastModels) {
    lastProbability = relevanceProbability(models.any, lower, memos);
    lastLower = lower;
    lastModels = models;
  }
  return lastProbability;
}

function relevanceBucketIndex(lower: readonly string[], resources: FeatureResources, memos?: readonly WordMemo[]): number | null {
  const models = resources.relevance;
  if (!models) return null;
  const p = anyRelevance(lower, models, memos);
  return p < 0.3 ? 0 : p < 0.7 ? 1 : 2;
}

function relevanceBucket(lower: readonly string[], resources: FeatureResources): RelevanceBucket | null {
  const index = relevanceBucketIndex(lower, resources);
  return index === null ? null : (RELEVANCE_BUCKETS[index] as RelevanceBucket);
}

function crossWithRelevance(tags: (readonly string[])[] | undefined, lower: readonly string[], resources: FeatureResources): (readonly string[])[] {
  const bucket = relevanceBucket(lower, resources);
  if (!tags || !bucket) return lower.map(() => NONE);
  return tags.map((values) => (values.length === 0 ? NONE : values.map((v) => `${v}|${bucket}`)));
}

function targetRelevance(target: RelevanceTarget, models: RelevanceModels, lower: readonly string[], memos: readonly WordMemo[] | undefined): number {
  return target === 'any' ? anyRelevance(lower, models, memos) : relevanceProbability(models[target], lower, memos);
}

function relevanceDeciles(lower: readonly string[], resources: FeatureResources, targets: readonly RelevanceTarget[], memos?: readonly WordMemo[]): string[][] {
  const models = resources.relevance;
  const deciles = models ? targets.map((target) => `${target}:${Math.min(9, Math.floor(targetRelevance(target, models, lower, memos) * 10))}`) : [];
  return lower.map(() => deciles);
}

function affixes(word: string, take: (w: string, n: number) => string): string[] {
  const values: string[] = [];
  for (const n of [2, 3, 4]) if (word.length > n) values.push(`${n}:${take(word, n)}`);
  return values;
}

/** Runs compromise on the space-joined words and maps its terms back to our tokens by character offset. */
export function partOfSpeech(words: readonly string[]): string[][] {
  const starts: number[] = [];
  let text = '';
  for (const word of words) {
    starts.push(text.length);
    text += `${word} `;
  }
  const tags: string[][] = words.map(() => []);
  const terms = loadCompromise()(text).json({ offset: true, terms: { offset: true } }) as {
    terms: { tags: string[]; offset: { start: number } }[];
  }[];
  let w = 0;
  for (const sentence of terms) {
    for (const term of sentence.terms) {
      while (w + 1 < starts.length && (starts[w + 1] as number) <= term.offset.start) w++;
      const main = term.tags.find((t) => POS_TAGS.has(t));
      if (main && tags[w]?.length === 0) tags[w]?.push(main);
    }
  }
  return tags;
}
type Compromise = (text: string) => { json(options: object): unknown };
let compromise: Compromise | undefined;
/** compromise takes ~150 ms to load; only models trained with the pos template pay for it. */
function loadCompromise(): Compromise {
  compromise ??= createRequire(import.meta.url)('compromise') as Compromise;
  return compromise;
}
const POS_TAGS = new Set(['Noun', 'Verb', 'Adjective', 'Adverb', 'Preposition', 'Conjunction', 'Determiner', 'Value', 'Pronoun']);

const BY_NAME = new Map(LIBRARY.map((t) => [t.name, t]));

/** Every template this code knows, in declaration order. */
export const TEMPLATE_LIBRARY: readonly FeatureTemplate[] = LIBRARY;

/** The templates the shipped model is trained with (chosen by cross-validation; see models/README.md). */
export const DEFAULT_TEMPLATES: readonly string[] = [
  'lower', 'suffix', 'prefix', 'shape', 'flags', 'stem', 'position', 'bigram', 'gazetteer', 'cues',
  'relevance', 'neighbour-suffix', 'pos-notes', 'train-spans', 'word-x-relevance',
];

/** Looks templates up by name, in the order given; names this code lacks are one clear error. */
export function resolveTemplates(names: readonly string[]): FeatureTemplate[] {
  const missing = names.filter((name) => !BY_NAME.has(name));
  if (missing.length > 0) {
    throw new NerError(
      'NER_ERR_MODEL_TEMPLATES',
      `unknown feature template(s): ${missing.join(', ')}; this code has: ${LIBRARY.map((t) => t.name).join(', ')}`,
    );
  }
  return names.map((name) => BY_NAME.get(name) as FeatureTemplate);
}

/** The most frequent part-of-speech tag of every word of some text: a per-word, cacheable stand-in for tagging. */
export function learnPosLexicon(sentences: Iterable<readonly string[]>): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const words of sentences) {
    partOfSpeech(words).forEach((tags, i) => {
      const tag = tags[0];
      if (!tag) return;
      const word = (words[i] as string).toLowerCase();
      const perTag = counts.get(word) ?? new Map<string, number>();
      perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
      counts.set(word, perTag);
    });
  }
  const lexicon = new Map<string, string>();
  for (const [word, perTag] of counts) {
    const [best] = [...perTag.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (best) lexicon.set(word, best[0]);
  }
  return lexicon;
}
