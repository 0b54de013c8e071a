import type { CrfWeights } from './crf-model-file.js';
import { IntPairMap } from './int-pair-map.js';
import type { WordMemo } from './word-memo.js';
import { addItemStateScores, attributeKey } from './viterbi.js';
import { SENTENCE_END, SENTENCE_START, type FeatureResources, type FeatureTemplate, type SentenceTemplate, type WordTemplate } from './feature-templates.js';

/**
 * Turns words into CRF attributes. Two paths share one attribute order:
 * - `attributeStrings` builds the strings the CRFsuite trainer is given;
 * - `FeatureEncoder` maps the same attributes straight to a model's attribute ids, caching the word-level
 *   part per distinct word, so tagging builds almost no strings (the cost the binding path spends most on).
 * The order matters: CRFsuite sums state weights in attribute order, and encode() keeps it, so summing its
 * ids gives CRFsuite's scores bit for bit; scoreStates() sums each word's ids once per distinct word instead.
 * Ids are looked up by CRFsuite's own key of a string (cut at a NUL, lone surrogates as U+FFFD).
 */

export const BIAS_ATTRIBUTE = 'bias';

interface WordSlot {
  offset: number;
  templates: WordTemplate[];
}

export interface FeaturePlan {
  templateNames: string[];
  wordSlots: WordSlot[];
  sentenceTemplates: SentenceTemplate[];
}

export function planFeatures(templates: readonly FeatureTemplate[]): FeaturePlan {
  const wordTemplates = templates.filter((t): t is WordTemplate => t.scope === 'word');
  const offsets = [...new Set(wordTemplates.flatMap((t) => t.offsets))].sort((a, b) => a - b);
  return {
    templateNames: templates.map((t) => t.name),
    wordSlots: offsets.map((offset) => ({ offset, templates: wordTemplates.filter((t) => t.offsets.includes(offset)) })),
    sentenceTemplates: templates.filter((t): t is SentenceTemplate => t.scope === 'sentence'),
  };
}

export function attributeName(template: string, offset: number, value: string): string {
  return `${template}[${offset}]=${value}`;
}

function lowerAll(words: readonly string[]): string[] {
  return words.map((w) => w.toLowerCase());
}

/** The attributes of every token, as strings, in the canonical order. */
export function attributeStrings(plan: FeaturePlan, words: readonly string[], resources: FeatureResources): string[][] {
  const lower = lowerAll(words);
  const sentenceValues = plan.sentenceTemplates.map((t) => t.values(words, lower, resources));
  return words.map((_, i) => {
    const attributes = [BIAS_ATTRIBUTE];
    for (const slot of plan.wordSlots) {
      const word = words[i + slot.offset];
      if (word === undefined) continue;
      for (const template of slot.templates) {
        for (const value of template.values(word, resources)) attributes.push(attributeName(template.name, slot.offset, value));
      }
    }
    plan.sentenceTemplates.forEach((template, k) => {
      const values = sentenceValues[k] as readonly (readonly string[])[];
      for (const offset of template.offsets) {
        for (const value of values[i + offset] ?? []) attributes.push(attributeName(template.name, offset, value));
      }
    });
    return attributes;
  });
}

/** Attribute ids of a sentence in CSR form: token t owns ids[starts[t] .. starts[t + 1]). */
export interface EncodedSentence {
  ids: Int32Array;
  starts: Int32Array;
  length: number;
}

const EMPTY_IDS = new Int32Array(0);
const NOT_CACHED = -2;
const NO_SCORES = -1;
const PAIR_STARTS_UNKNOWN = -1;
/** A word with these is always looked up: CRFsuite's key of its attribute may differ from the name. */
const KEY_CHANGING = /[\0\uD800-\uDFFF]/;

/**
 * A distinct lower-cased word; its serial keys the pair templates' ids (FeatureEncoder.pairIds), and it is
 * the WordMemo the templates' resources cache their per-word lookups on.
 */
class LowerWord implements WordMemo {
  [memo: symbol]: unknown;
  /** Per word-join slot (template, offset), the attribute id of each variant (-1 unknown). */
  joinIds: (Int32Array | undefined)[] = [];
  /** Bit s: the word may begin a pair the model knows in pair slot s (PAIR_STARTS_UNKNOWN until asked). */
  pairStarts = PAIR_STARTS_UNKNOWN;

  // A class, not an object literal: V8 leaves room in each object for the properties the resources add
  // later (their memos), so reading one is a load from the object rather than from a separate array.
  constructor(
    readonly text: string,
    readonly serial: number,
  ) {}
}

interface CachedWord {
  /** The word as the sentence writes it (the cache's key). */
  text: string;
  /**
   * Per word slot, the attribute ids the word contributes there; null once the word's block of state scores
   * holds them (scoreStates reads the block; encode computes them again): a cached word keeps one array, not six.
   */
  slots: Int32Array[] | null;
  /**
   * With state weights, where the word's block of state scores starts in the encoder's score arena (see
   * scoreStates), NO_SCORES until first used: per word slot s, its ids' weights summed for label l at
   * [s * L + l]; then per word-join slot j and variant v, that attribute's weight at
   * [joinSlots[j].scoreStart + v * L + l].
   */
  scoresAt: number;
  lower: LowerWord;
}

/**
 * Distinct words an encoder keeps by default: about 1 KB each (ids, score block, pairs), so a process that tags
 * open text for months holds at most about 50 MB per domain it tags with; 600 MTSamples notes use fewer.
 */
export const MAX_CACHED_WORDS = 50_000;

export interface FeatureEncoderOptions {
  /** Distinct words kept in the per-word cache before it is cleared (bounds memory on open vocabularies). */
  maxCachedWords?: number;
  /** Needed by scoreStates: the weights it sums. */
  weights?: CrfWeights;
}

export class FeatureEncoder {
  private readonly wordCache = new Map<string, CachedWord>();
  private readonly sentenceValueCache: Map<string, number>[][];
  private readonly lowerWords = new Map<string, LowerWord>();
  private readonly sentenceStart = new LowerWord(SENTENCE_START, 0);
  private readonly sentenceEnd = new LowerWord(SENTENCE_END, 1);
  private nextSerial = 2;
  /** Per sentence template and offset, its pair slot (-1: not a pair template). */
  private readonly pairSlot: number[][];
  private readonly pairSlotCount: number;
  /** Per pair slot, every first word of a pair attribute the model knows (a superset: see pairFirstsOf). */
  private readonly pairFirsts: Set<string>[];
  /** (first word's serial, second word's serial × pair slots + slot) -> attribute id (-1 unknown). */
  private readonly pairIds = new IntPairMap();
  /**
   * Per pair slot, the last pair looked up: the words one token apart recur as the next token's pair
   * (bigram's this|next is the next token's previous|this), so half the lookups are the previous one.
   */
  private readonly lastPair: { first: LowerWord | null; second: LowerWord | null; id: number }[];
  /** Per sentence template and offset, its word-join slot (-1: not a word-join template). */
  private readonly joinSlot: number[][];
  /** Per word-join slot: its template, offset, and where its variants' scores start in a word's block. */
  private readonly joinSlots: { template: SentenceTemplate; k: number; slot: number; offset: number; scoreStart: number }[] = [];
  private wordScoresLength = 0;
  /**
   * Every cached word's block of state scores, one after another: a word's block is an offset into one
   * array, where a Float64Array per word cost several dependent cache misses to reach its numbers.
   */
  private scoreArena = new Float64Array(0);
  private scoreArenaUsed = 0;
  /** Pair and word-join entries cached on the lower-cased words (bounded with the word cache). */
  private cachedWordEntries = 0;
  private readonly maxCachedWords: number;
  private readonly biasId: number;
  private ids = new Int32Array(4096);
  private readonly sentenceSlots: number;
  private readonly weights: CrfWeights | null;

  constructor(
    private readonly plan: FeaturePlan,
    private readonly attributeIds: ReadonlyMap<string, number>,
    private readonly resources: FeatureResources,
    options: FeatureEncoderOptions = {},
  ) {
    this.maxCachedWords = options.maxCachedWords ?? MAX_CACHED_WORDS;
    this.biasId = attributeIds.get(BIAS_ATTRIBUTE) ?? -1;
    this.sentenceValueCache = plan.sentenceTemplates.map((t) => t.offsets.map(() => new Map()));
    let pairSlots = 0;
    this.pairSlot = plan.sentenceTemplates.map((t) => t.offsets.map(() => (t.pairs ? pairSlots++ : -1)));
    this.lastPair = Array.from({ length: pairSlots }, () => ({ first: null, second: null, id: -1 }));
    this.pairSlotCount = pairSlots;
    this.pairFirsts = pairFirstsOf(plan, this.pairSlot, pairSlots, attributeIds);
    let joinSlots = 0;
    this.joinSlot = plan.sentenceTemplates.map((t) => t.offsets.map(() => (t.wordJoin ? joinSlots++ : -1)));
    this.sentenceSlots = plan.sentenceTemplates.reduce((sum, t) => sum + t.offsets.length, 0);
    this.weights = options.weights ?? null;
    if (this.weights) {
      const L = this.weights.labels.length;
      let start = plan.wordSlots.length * L;
      plan.sentenceTemplates.forEach((template, k) => {
        if (!template.wordJoin) return;
        template.offsets.forEach((offset, o) => {
          this.joinSlots.push({ template, k, slot: (this.joinSlot[k] as number[])[o] as number, offset, scoreStart: start });
          start += (template.wordJoin as NonNullable<SentenceTemplate['wordJoin']>).variants.length * L;
        });
      });
      this.wordScoresLength = start;
    }
  }

  /** The attribute ids of every token, in CRFsuite's order. */
  encode(words: readonly string[]): EncodedSentence {
    return this.encodeWith(words, this.cachedWords(words), true);
  }

  /**
   * CRFsuite's state scores of every token into scores[t * L + l] (scores must hold words.length * L; it is
   * overwritten). The same terms as summing encode()'s ids, grouped differently: a word's ids in one slot
   * are summed once per distinct word, and word-join terms come before the other sentence templates'. So
   * the sums can differ from CRFsuite's in the last bits (the shipped model's labels are checked against
   * CRFsuite's by `npm run bench` and the shipped-model test).
   * Each token otherwise costs a weight row per attribute, most of them cache misses in a large model.
   */
  scoreStates(words: readonly string[], scores: Float64Array): void {
    const weights = this.weights;
    if (!weights) throw new Error('FeatureEncoder.scoreStates needs the weights option');
    const L = weights.labels.length;
    const dense = weights.stateDense;
    const cachedWords = this.cachedWords(words);
    const { ids, starts, length, variants } = this.encodeWith(words, cachedWords, false);
    const wordSlots = this.plan.wordSlots;
    const biasRow = this.biasId >= 0 && this.biasId < weights.numAttributes ? this.biasId * L : -1;
    for (let t = 0; t < length; t++) for (let l = 0; l < L; l++) scores[t * L + l] = biasRow >= 0 ? (dense[biasRow + l] as number) : 0;
    // Blocks first: computing one may move the arena.
    for (let p = 0; p < length; p++) {
      const word = cachedWords[p] as CachedWord;
      if (word.scoresAt === NO_SCORES) this.sumWordScores(word, weights);
    }
    const arena = this.scoreArena;
    // Word by word, each adding its block to the tokens that see it: one block read front to back, where a
    // token-by-token loop jumps between five words' blocks. A token still gets its slots in offset order.
    for (let p = 0; p < length; p++) {
      const at = (cachedWords[p] as CachedWord).scoresAt;
      for (let s = 0; s < wordSlots.length; s++) {
        const t = p - (wordSlots[s] as WordSlot).offset;
        if (t < 0 || t >= length) continue;
        const base = t * L;
        const from = at + s * L;
        for (let l = 0; l < L; l++) scores[base + l] = (scores[base + l] as number) + (arena[from + l] as number);
      }
    }
    for (const join of this.joinSlots) {
      const variant = variants[join.k];
      if (variant === null || variant === undefined) continue;
      for (let t = 0; t < length; t++) {
        const word = cachedWords[t + join.offset];
        if (word === undefined) continue;
        const base = t * L;
        const from = word.scoresAt + join.scoreStart + variant * L;
        for (let l = 0; l < L; l++) scores[base + l] = (scores[base + l] as number) + (arena[from + l] as number);
      }
    }
    for (let t = 0; t < length; t++) addItemStateScores(weights, ids, scores, t, starts[t], starts[t + 1]);
  }

  /** Computes the word's block of state scores into the arena (CachedWord.scoresAt), on its first use. */
  private sumWordScores(word: CachedWord, weights: CrfWeights): void {
    const L = weights.labels.length;
    const A = weights.numAttributes;
    const dense = weights.stateDense;
    const at = this.scoreArenaUsed;
    const end = at + this.wordScoresLength;
    if (end > this.scoreArena.length) {
      const grown = new Float64Array(Math.max(end, 2 * this.scoreArena.length, 64 * this.wordScoresLength));
      grown.set(this.scoreArena.subarray(0, at));
      this.scoreArena = grown;
    }
    const arena = this.scoreArena;
    // A block left by words cleared from the cache is overwritten from zero.
    arena.fill(0, at, end);
    // Row s of the block is slot s's sum, as a token's row is its attributes' sum (blocks start at a multiple of L).
    (word.slots ?? this.slotIds(word.text)).forEach((slotIds, s) => addItemStateScores(weights, slotIds, arena, at / L + s));
    word.slots = null;
    for (const { template, slot, offset, scoreStart } of this.joinSlots) {
      this.joinIdsOf(word.lower, slot, template, offset).forEach((a, v) => {
        if (a >= 0 && a < A) for (let l = 0; l < L; l++) arena[at + scoreStart + v * L + l] = dense[a * L + l] as number;
      });
    }
    this.scoreArenaUsed = end;
    word.scoresAt = at;
  }

  private cachedWords(words: readonly string[]): CachedWord[] {
    if (this.wordCache.size + words.length > this.maxCachedWords || this.cachedWordEntries > 4 * this.maxCachedWords) this.clearWordCaches();
    return words.map((w) => this.cachedWord(w));
  }

  /**
   * withWordSlots false: only the ids of the sentence templates other than word-join ones (scoreStates adds
   * the bias, word slots and word joins from the words' blocks); with the word-join templates' variants.
   */
  private encodeWith(words: readonly string[], cachedWords: readonly CachedWord[], withWordSlots: boolean): EncodedSentence & { variants: (number | null)[] } {
    const length = words.length;
    const starts = new Int32Array(length + 1);
    // The cached lower-case strings: map lookups on them reuse their computed hashes.
    const lowerWords = cachedWords.map((c) => c.lower);
    const lower = this.plan.sentenceTemplates.length > 0 ? lowerWords.map((l) => l.text) : [];
    const sentenceValues = this.plan.sentenceTemplates.map((t) => (t.pairs || t.wordJoin ? null : t.values(words, lower, this.resources, lowerWords)));
    const variants = this.plan.sentenceTemplates.map((t) => (t.wordJoin ? t.wordJoin.variant(lower, this.resources, lowerWords) : null));
    const lastLists: (readonly string[] | undefined)[] = new Array(this.sentenceSlots).fill(undefined);
    const lastIds: (number[] | undefined)[] = new Array(this.sentenceSlots).fill(undefined);
    const wordSlots = this.plan.wordSlots;
    let n = 0;
    for (let i = 0; i < length; i++) {
      starts[i] = n;
      if (withWordSlots && this.biasId >= 0) n = this.push(n, this.biasId);
      for (let s = 0; withWordSlots && s < wordSlots.length; s++) {
        const neighbour = cachedWords[i + (wordSlots[s] as WordSlot).offset];
        if (neighbour === undefined) continue;
        const slotIds = (neighbour.slots ??= this.slotIds(neighbour.text))[s] as Int32Array;
        if (n + slotIds.length > this.ids.length) this.grow(n + slotIds.length);
        const out = this.ids;
        for (let k = 0; k < slotIds.length; k++) out[n++] = slotIds[k] as number;
      }
      let slot = 0;
      for (let k = 0; k < this.plan.sentenceTemplates.length; k++) {
        const template = this.plan.sentenceTemplates[k] as SentenceTemplate;
        const values = sentenceValues[k];
        if (!values) {
          const variant = variants[k] as number | null;
          if (template.pairs) for (let o = 0; o < template.offsets.length; o++, slot++) n = this.pushPairIds(n, k, o, template, lowerWords, i);
          else if (variant === null || !withWordSlots) slot += template.offsets.length;
          else for (let o = 0; o < template.offsets.length; o++, slot++) n = this.pushJoinId(n, k, o, template, lowerWords, i, variant);
          continue;
        }
        for (let o = 0; o < template.offsets.length; o++, slot++) {
          const offset = template.offsets[o] as number;
          const at = values[i + offset];
          if (at === undefined) continue;
          // Templates hand many tokens the same list (a sentence's cues, "no gazetteer match"): its ids once.
          let ids = lastLists[slot] === at ? lastIds[slot] : undefined;
          if (ids === undefined) {
            ids = [];
            for (let v = 0; v < at.length; v++) {
              const id = this.sentenceAttributeId(k, o, template.name, offset, at[v] as string);
              if (id >= 0) ids.push(id);
            }
            lastLists[slot] = at;
            lastIds[slot] = ids;
          }
          for (let v = 0; v < ids.length; v++) n = this.push(n, ids[v] as number);
        }
      }
    }
    starts[length] = n;
    return { ids: this.ids.subarray(0, n), starts, length, variants };
  }

  /** The ids of a pair template's values at token i (see SentenceTemplate.pairs), in value order. */
  private pushPairIds(n: number, k: number, o: number, template: SentenceTemplate, words: readonly LowerWord[], i: number): number {
    const offset = template.offsets[o] as number;
    const at = i + offset;
    if (at < 0 || at >= words.length) return n;
    const pairs = template.pairs as readonly (readonly [number, number])[];
    // The attribute names the template, offset and the two words, not which pair gave them: one cache.
    const slot = (this.pairSlot[k] as number[])[o] as number;
    const last = this.lastPair[slot] as { first: LowerWord | null; second: LowerWord | null; id: number };
    for (let p = 0; p < pairs.length; p++) {
      const [firstOffset, secondOffset] = pairs[p] as readonly [number, number];
      const first = this.lowerWordAt(words, at + firstOffset);
      const second = this.lowerWordAt(words, at + secondOffset);
      let id: number | undefined;
      if (last.first === first && last.second === second) id = last.id;
      else if (!this.mayStartPair(first, slot)) id = -1;
      else {
        const key = second.serial * this.pairSlotCount + slot;
        id = this.pairIds.get(first.serial, key, NOT_CACHED);
        if (id === NOT_CACHED) {
          id = this.attributeIds.get(attributeKey(attributeName(template.name, offset, `${first.text}|${second.text}`))) ?? -1;
          this.pairIds.set(first.serial, key, id);
          this.cachedWordEntries++;
        }
        last.first = first;
        last.second = second;
        last.id = id;
      }
      if (id >= 0) n = this.push(n, id);
    }
    return n;
  }

  /** Whether some pair attribute of the slot begins with the word: most words begin none the model knows. */
  private mayStartPair(word: LowerWord, slot: number): boolean {
    if (word.pairStarts === PAIR_STARTS_UNKNOWN) {
      let starts = 0;
      const always = KEY_CHANGING.test(word.text);
      for (let s = 0; s < this.pairSlotCount; s++) if (always || (this.pairFirsts[s] as Set<string>).has(word.text)) starts |= 1 << s;
      word.pairStarts = starts;
    }
    return (word.pairStarts & (1 << slot)) !== 0;
  }

  /** The id of a word-join template's value at token i (see SentenceTemplate.wordJoin). */
  private pushJoinId(n: number, k: number, o: number, template: SentenceTemplate, words: readonly LowerWord[], i: number, variant: number): number {
    const offset = template.offsets[o] as number;
    const word = words[i + offset];
    if (word === undefined) return n;
    const id = this.joinIdsOf(word, (this.joinSlot[k] as number[])[o] as number, template, offset)[variant] as number;
    return id >= 0 ? this.push(n, id) : n;
  }

  /** A word-join slot's attribute id for the word and each variant (-1 unknown), cached on the word. */
  private joinIdsOf(word: LowerWord, slot: number, template: SentenceTemplate, offset: number): Int32Array {
    let ids = word.joinIds[slot];
    if (!ids) {
      const variants = (template.wordJoin as NonNullable<SentenceTemplate['wordJoin']>).variants;
      ids = Int32Array.from(variants, (v) => this.attributeIds.get(attributeKey(attributeName(template.name, offset, `${word.text}|${v}`))) ?? -1);
      word.joinIds[slot] = ids;
      this.cachedWordEntries++;
    }
    return ids;
  }

  private lowerWordAt(words: readonly LowerWord[], index: number): LowerWord {
    return index < 0 ? this.sentenceStart : index >= words.length ? this.sentenceEnd : (words[index] as LowerWord);
  }

  private lowerWord(text: string): LowerWord {
    let entry = this.lowerWords.get(text);
    if (!entry) {
      entry = new LowerWord(text, this.nextSerial++);
      this.lowerWords.set(text, entry);
    }
    return entry;
  }

  /** Drops every cached word and pair (bounds memory on open vocabularies); called between sentences only. */
  private clearWordCaches(): void {
    this.wordCache.clear();
    this.lowerWords.clear();
    this.pairIds.clear();
    this.sentenceStart.joinIds = [];
    this.sentenceEnd.joinIds = [];
    this.nextSerial = 2;
    this.cachedWordEntries = 0;
    this.scoreArenaUsed = 0;
  }

  private push(n: number, id: number): number {
    if (n === this.ids.length) this.grow(n + 1);
    this.ids[n] = id;
    return n + 1;
  }

  private grow(needed: number): void {
    const grown = new Int32Array(Math.max(needed, this.ids.length * 2));
    grown.set(this.ids);
    this.ids = grown;
  }

  /** Per word slot, the known attribute ids this word contributes, computed once per distinct word. */
  private cachedWord(word: string): CachedWord {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const entry: CachedWord = { text: word, slots: this.slotIds(word), scoresAt: NO_SCORES, lower: this.lowerWord(word.toLowerCase()) };
    this.wordCache.set(word, entry);
    return entry;
  }

  private slotIds(word: string): Int32Array[] {
    return this.plan.wordSlots.map((slot) => {
      const ids: number[] = [];
      for (const template of slot.templates) {
        for (const value of template.values(word, this.resources)) {
          const id = this.attributeIds.get(attributeKey(attributeName(template.name, slot.offset, value)));
          if (id !== undefined) ids.push(id);
        }
      }
      return ids.length === 0 ? EMPTY_IDS : Int32Array.from(ids);
    });
  }

  private sentenceAttributeId(k: number, o: number, name: string, offset: number, value: string): number {
    const cache = (this.sentenceValueCache[k] as Map<string, number>[])[o] as Map<string, number>;
    let id = cache.get(value);
    if (id === undefined) {
      if (cache.size >= this.maxCachedWords) cache.clear();
      id = this.attributeIds.get(attributeKey(attributeName(name, offset, value))) ?? -1;
      cache.set(value, id);
    }
    return id;
  }
}

/**
 * Per pair slot, the words a known pair attribute may begin with: for each attribute named for the slot's
 * template and offset, its value cut at every '|' (a word may itself hold one), so no known pair is missed.
 */
function pairFirstsOf(plan: FeaturePlan, pairSlot: readonly (readonly number[])[], pairSlots: number, attributeIds: ReadonlyMap<string, number>): Set<string>[] {
  if (pairSlots > 30) throw new RangeError(`at most 30 pair slots (template offsets), not ${pairSlots}`);
  const firsts = Array.from({ length: pairSlots }, () => new Set<string>());
  const slotByPrefix = new Map<string, number>();
  plan.sentenceTemplates.forEach((template, k) => {
    template.offsets.forEach((offset, o) => {
      const slot = (pairSlot[k] as readonly number[])[o] as number;
      if (slot >= 0) slotByPrefix.set(attributeName(template.name, offset, ''), slot);
    });
  });
  for (const key of attributeIds.keys()) {
    const equals = key.indexOf(']=');
    if (equals < 0) continue;
    const s = slotByPrefix.get(key.slice(0, equals + 2));
    if (s === undefined) continue;
    for (let bar = key.indexOf('|', equals + 2); bar >= 0; bar = key.indexOf('|', bar + 1)) (firsts[s] as Set<string>).add(key.slice(equals + 2, bar));
  }
  return firsts;
}
