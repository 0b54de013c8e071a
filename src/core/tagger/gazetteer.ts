import { createFuzzyWords, MAX_FUZZY_LETTERS, MIN_FUZZY_LETTERS, type FuzzyWords, type WordUses } from './fuzzy-words.js';
import { ownString } from '../text/own-string.js';
import { IntPairMap } from './int-pair-map.js';
import type { WordMemo } from './word-memo.js';

/**
 * A gazetteer of lower-cased token sequences (drug and disease names from open vocabularies), matched
 * longest-first over a sentence. Names in a list are evidence, not labels: the CRF learns how much to trust them.
 */
export type GazetteerKind = 'drug' | 'disease';

/**
 * A trie over word ids: node 0 is the root, the child of (node, word id) is in `children`, and which kinds of
 * name end at a node are bits of `kinds`. Integers in typed arrays, where a Map per node cost several
 * dependent cache misses per step (the gazetteer is consulted at every token tagged).
 */
interface IntTrie {
  wordIds: Map<string, number>;
  children: IntPairMap;
  kinds: Uint8Array;
  /** Reads a misspelt word as the name word it misspells (see fuzzy-words.ts); null: exact words only. */
  fuzzy: FuzzyWords | null;
}

const ROOT = 0;
const NONE = -1;
const KIND_BIT: Record<GazetteerKind, number> = { disease: 1, drug: 2 };

export interface GazetteerSpan {
  start: number;
  end: number;
  kind: GazetteerKind;
}

export interface GazetteerEntry {
  tokens: readonly string[];
  kind: GazetteerKind;
}

export interface Gazetteer {
  /**
   * Per token: the match tags covering it, e.g. ['B-drug'] or ['I-disease', 'I-drug']; empty when none.
   * memos[i], when given, is lowerTokens[i]'s WordMemo: where names starting with the word are, looked up once.
   */
  match(lowerTokens: readonly string[], memos?: readonly WordMemo[]): (readonly string[])[];
  /**
   * Longest matches left to right as spans, one kind per span (the longer; disease on a tie), without
   * overlaps: what a pass that turns names into entities needs, without per-token tag arrays.
   */
  matchSpans(lowerTokens: readonly string[]): GazetteerSpan[];
  /** Number of distinct (name, kind) entries. */
  readonly size: number;
  /** The entries, for serialising the gazetteer next to a model. */
  entries(): GazetteerEntry[];
  /**
   * Words of the corpora and notes that are not names: a word outside both is read as a misspelling of the
   * name word one edit away (fuzzy-words.ts). null: words match exactly.
   */
  readonly knownWords: ReadonlySet<string> | null;
  /** The name word a lower-cased word misspells (see knownWords), or undefined. */
  correct(lowerWord: string): string | undefined;
}

export interface GazetteerOptions {
  /** Turns misspelling matches on (see Gazetteer.knownWords). */
  knownWords?: ReadonlySet<string> | null;
}

/** Longest phrase considered; longer names are dropped (they almost never occur verbatim in text). */
export const MAX_PHRASE_TOKENS = 8;

export function buildGazetteer(entries: Iterable<GazetteerEntry>, options: GazetteerOptions = {}): Gazetteer {
  const wordIds = new Map<string, number>();
  const children = new IntPairMap(4096);
  const kinds: number[] = [0];
  // Per node, its parent and the word leading to it: the entries are read back from the trie when asked for,
  // where keeping each name's tokens cost more than the trie itself.
  const parents: number[] = [NONE];
  const words: number[] = [NONE];
  // Per entry kept, its last node and kind bit, in the order given.
  const keptNodes: number[] = [];
  let uses: Int32Array = new Int32Array(1024);
  for (const entry of entries) {
    if (entry.tokens.length === 0 || entry.tokens.length > MAX_PHRASE_TOKENS) continue;
    let node = ROOT;
    for (const token of entry.tokens) {
      let word = wordIds.get(token);
      if (word === undefined) {
        word = wordIds.size;
        wordIds.set(ownString(token), word);
        if (word >= uses.length) uses = grown(uses);
      }
      uses[word] = (uses[word] as number) + 1;
      let child = children.get(node, word, NONE);
      if (child === NONE) {
        child = kinds.length;
        kinds.push(0);
        parents.push(node);
        words.push(word);
        children.set(node, word, child);
      }
      node = child;
    }
    const bit = KIND_BIT[entry.kind];
    if (((kinds[node] as number) & bit) === 0) {
      kinds[node] = (kinds[node] as number) | bit;
      keptNodes.push(node * 4 + bit);
    }
  }
  const knownWords = options.knownWords ?? null;
  const wordUses = uses.slice(0, wordIds.size);
  const vocabulary: WordUses = { has: (word) => wordIds.has(word), get: (word) => { const id = wordIds.get(word); return id === undefined ? undefined : wordUses[id]; } };
  const trie: IntTrie = { wordIds, children, kinds: Uint8Array.from(kinds), fuzzy: knownWords ? createFuzzyWords(vocabulary, knownWords) : null };
  const parentOf = Int32Array.from(parents);
  const wordOf = Int32Array.from(words);
  const kept = Int32Array.from(keptNodes);
  const listEntries = (): GazetteerEntry[] => {
    const wordText = new Array<string>(wordIds.size);
    for (const [text, id] of wordIds) wordText[id] = text;
    return Array.from(kept, (packed) => {
      const tokens: string[] = [];
      for (let node = packed >> 2; node !== ROOT; node = parentOf[node] as number) tokens.push(wordText[wordOf[node] as number] as string);
      return { tokens: tokens.reverse(), kind: (packed & 3) === KIND_BIT.drug ? 'drug' : 'disease' };
    });
  };
  return gazetteerOver({ tries: [trie], excluded: null, memoKey: Symbol('gazetteer word ids'), lookedUp: new Map() }, listEntries, knownWords);
}

function grown(array: Int32Array): Int32Array {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** The tries a gazetteer matches over, and the phrases (tokens joined by a space) it never matches. */
interface Tries {
  tries: readonly IntTrie[];
  excluded: ReadonlySet<string> | null;
  /** Per trie, the word's id and first node (see memoizedWord), an Int32Array cached on the word's WordMemo. */
  memoKey: symbol;
  /** The same per word for callers without memos (the note-style pass, the kind step), bounded. */
  lookedUp: Map<string, Int32Array>;
}
/** Words remembered for callers without memos; past this many the memory starts over (open vocabularies). */
const MAX_LOOKED_UP_WORDS = 20_000;
const triesOf = new WeakMap<Gazetteer, Tries>();

function gazetteerOver(tries: Tries, listEntries: () => GazetteerEntry[], knownWords: ReadonlySet<string> | null): Gazetteer {
  // Listed afresh each time (serialising, a test's count): serving never asks, and a kept list would stay in memory.
  const gazetteer: Gazetteer = {
    get size() {
      return listEntries().length;
    },
    entries: listEntries,
    knownWords,
    correct: (lowerWord) => {
      for (const trie of tries.tries) {
        const corrected = trie.fuzzy?.correct(lowerWord);
        if (corrected !== undefined) return corrected;
      }
      return undefined;
    },
    match: (lowerTokens, memos) => matchLongest(tries, lowerTokens, memos),
    matchSpans: (lowerTokens) => longestSpans(tries, lowerTokens),
  };
  triesOf.set(gazetteer, tries);
  return gazetteer;
}

/**
 * `base` with more entries and without some phrases, matching over base's trie instead of copying it (a
 * model's gazetteer holds tens of thousands of names: a copy costs a fifth of a second and tens of MB).
 */
export function extendGazetteer(base: Gazetteer | null, entries: Iterable<GazetteerEntry>, options: { excluded?: Iterable<string> } = {}): Gazetteer {
  const own = buildGazetteer(entries, { knownWords: base?.knownWords ?? null });
  const ownTries = triesOf.get(own) as Tries;
  const baseTries = base ? triesOf.get(base) : undefined;
  const excluded = new Set(options.excluded ?? []);
  const tries: Tries = { tries: [...ownTries.tries, ...(baseTries?.tries ?? [])], excluded: excluded.size > 0 ? excluded : null, memoKey: Symbol('gazetteer word ids'), lookedUp: new Map() };
  // The entries are listed only when asked for (serialising, size): matching needs only the tries.
  return gazetteerOver(tries, () => {
    const seen = new Set<string>();
    return [...own.entries(), ...(base?.entries() ?? [])].filter((e) => {
      const phrase = e.tokens.join(' ');
      const key = `${e.kind}\u0000${phrase}`;
      if (seen.has(key) || excluded.has(phrase)) return false;
      seen.add(key);
      return true;
    });
  }, base?.knownWords ?? null);
}

const NO_TAGS: readonly string[] = Object.freeze([]);
// Shared tag strings: the encoder looks them up in maps, and a string made once keeps its hash.
const TAG = { B: { disease: 'B-disease', drug: 'B-drug' }, I: { disease: 'I-disease', drug: 'I-drug' } } as const;

// longestAt's results: module variables rather than an object per token (it runs for every token tagged).
let longestDisease = 0;
let longestDrug = 0;

/**
 * tokens[i] in each trie r, looked up once per distinct word on its memo: its word id at [2r] and the node a
 * name starting with it reaches at [2r + 1] (NONE: none). Undefined without a memo.
 */
function memoizedWord(tries: Tries, tokens: readonly string[], i: number, memos: readonly WordMemo[] | undefined): Int32Array {
  const memo = memos?.[i];
  const token = tokens[i] as string;
  let word = memo === undefined ? tries.lookedUp.get(token) : (memo[tries.memoKey] as Int32Array | undefined);
  if (word === undefined) {
    word = new Int32Array(2 * tries.tries.length);
    for (let r = 0; r < tries.tries.length; r++) {
      const id = wordIdOf(tries.tries[r] as IntTrie, token);
      word[2 * r] = id;
      word[2 * r + 1] = childOf(tries.tries[r] as IntTrie, ROOT, id);
    }
    if (memo !== undefined) memo[tries.memoKey] = word;
    else {
      if (tries.lookedUp.size >= MAX_LOOKED_UP_WORDS) tries.lookedUp.clear();
      tries.lookedUp.set(token, word);
    }
  }
  return word;
}

function childOf(trie: IntTrie, node: number, word: number): number {
  return word === NONE ? NONE : trie.children.get(node, word, NONE);
}

function wordIdIn(tries: Tries, r: number, tokens: readonly string[], i: number, memos: readonly WordMemo[] | undefined): number {
  return memoizedWord(tries, tokens, i, memos)[2 * r] as number;
}

function wordIdOf(trie: IntTrie, token: string): number {
  const id = trie.wordIds.get(token);
  if (id !== undefined) return id;
  const corrected = trie.fuzzy?.correct(token);
  return corrected === undefined ? NONE : (trie.wordIds.get(corrected) ?? NONE);
}

function firstNodeIn(tries: Tries, r: number, tokens: readonly string[], i: number, memos: readonly WordMemo[] | undefined): number {
  return memoizedWord(tries, tokens, i, memos)[2 * r + 1] as number;
}

/** Sets longestDisease / longestDrug to the end of the longest name of each kind starting at `start` (0: none). */
function longestAt(tries: Tries, tokens: readonly string[], start: number, memos?: readonly WordMemo[]): void {
  longestDisease = 0;
  longestDrug = 0;
  for (let r = 0; r < tries.tries.length; r++) {
    let node = firstNodeIn(tries, r, tokens, start, memos);
    if (node === NONE) continue;
    const trie = tries.tries[r] as IntTrie;
    for (let end = start; node !== NONE; ) {
      const kinds = trie.kinds[node] as number;
      if (kinds !== 0 && !(tries.excluded !== null && tries.excluded.has(tokens.slice(start, end + 1).join(' ')))) {
        if ((kinds & KIND_BIT.disease) !== 0) longestDisease = Math.max(longestDisease, end + 1);
        if ((kinds & KIND_BIT.drug) !== 0) longestDrug = Math.max(longestDrug, end + 1);
      }
      end++;
      if (end >= tokens.length || end - start >= MAX_PHRASE_TOKENS) break;
      node = childOf(trie, node, wordIdIn(tries, r, tokens, end, memos));
    }
  }
}

/** For each kind separately, greedy left-to-right longest match; tags of both kinds may cover one token. */
function matchLongest(tries: Tries, tokens: readonly string[], memos?: readonly WordMemo[]): (readonly string[])[] {
  const tags: (readonly string[])[] = new Array<readonly string[]>(tokens.length).fill(NO_TAGS);
  let nextFreeDisease = 0;
  let nextFreeDrug = 0;
  for (let start = 0; start < tokens.length; start++) {
    longestAt(tries, tokens, start, memos);
    if (longestDisease !== 0 && start >= nextFreeDisease) {
      markSpan(tags, start, longestDisease, 'disease');
      nextFreeDisease = longestDisease;
    }
    if (longestDrug !== 0 && start >= nextFreeDrug) {
      markSpan(tags, start, longestDrug, 'drug');
      nextFreeDrug = longestDrug;
    }
  }
  return tags;
}

function markSpan(tags: (readonly string[])[], start: number, end: number, kind: GazetteerKind): void {
  for (let i = start; i < end; i++) {
    const tag = i === start ? TAG.B[kind] : TAG.I[kind];
    const current = tags[i] as readonly string[];
    tags[i] = current === NO_TAGS ? [tag] : [...current, tag];
  }
}

function longestSpans(tries: Tries, tokens: readonly string[]): GazetteerSpan[] {
  const spans: GazetteerSpan[] = [];
  for (let start = 0; start < tokens.length; start++) {
    longestAt(tries, tokens, start);
    if (longestDisease === 0 && longestDrug === 0) continue;
    const kind: GazetteerKind = longestDisease >= longestDrug ? 'disease' : 'drug';
    const end = Math.max(longestDisease, longestDrug);
    spans.push({ start, end, kind });
    start = end - 1;
  }
  return spans;
}

/**
 * The words as the features see them: a misspelt name word is read as the word it misspells, in the writer's
 * capitals ("Diabetis" → "Diabetes"), so it carries everything the model learned of that word. The same array
 * when nothing is misspelt (most sentences). Offsets and entity texts stay the note's own.
 */
export function spellCorrected(gazetteer: Gazetteer | null | undefined, words: readonly string[]): readonly string[] {
  if (!gazetteer?.knownWords) return words;
  let remembered = correctedWords.get(gazetteer);
  if (!remembered) correctedWords.set(gazetteer, (remembered = new Map()));
  let corrected: string[] | null = null;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word.length < MIN_FUZZY_LETTERS || word.length > MAX_FUZZY_LETTERS) continue;
    let fixed = remembered.get(word);
    if (fixed === undefined) {
      const lowerFixed = gazetteer.correct(word.toLowerCase());
      fixed = lowerFixed === undefined ? null : inCaseOf(word, lowerFixed);
      if (remembered.size >= MAX_REMEMBERED_CORRECTIONS) remembered.clear();
      remembered.set(word, fixed);
    }
    if (fixed === null) continue;
    corrected ??= [...words];
    corrected[i] = fixed;
  }
  return corrected ?? words;
}

/**
 * Per gazetteer, each word as written (of a length that may be misspelt) and what spellCorrected reads it as,
 * null: itself. Words recur from sentence to sentence; the check costs several lookups and a lower-casing.
 */
const correctedWords = new WeakMap<Gazetteer, Map<string, string | null>>();
const MAX_REMEMBERED_CORRECTIONS = 50_000;

function inCaseOf(original: string, lower: string): string {
  if (original === original.toLowerCase()) return lower;
  if (original === original.toUpperCase()) return lower.toUpperCase();
  return (lower[0] as string).toUpperCase() + lower.slice(1);
}
