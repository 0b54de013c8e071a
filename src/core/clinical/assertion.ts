/**
 * Assertion of extracted entities, ConText/NegEx-style (Harkema et al. 2009; Chapman et al. 2001): is the
 * entity present in the patient now, absent (negated), possible (uncertain), historical, or a relative's?
 *
 * The rules are data (assertion-triggers.ts), compiled once into a trie keyed by normalised token (lower
 * case, a final abbreviation period dropped, a year 1900-2099 as `<year>`), so a call does no regex
 * compilation and no phrase lookup beyond one Map probe per token. Sentences without entities are only
 * scanned for section headers at line and sentence starts.
 *
 * Per sentence:
 * 1. Triggers, pseudo-triggers and terminators are matched left to right on whole tokens, longest first.
 *    A pseudo-trigger ("no increase", "gram negative", "history of present illness") swallows its tokens.
 * 2. The scope of a forward trigger runs from its end to the sentence end, and stops earlier at
 *    - a terminator of its category ("but", "however", "except", "which", ";" ...: see the lexicon),
 *    - a trigger of another category that does not immediately follow it ("denies chest pain, history of MI"
 *      stops "denies" at "history of"; but "no prior surgeries" is one compound: both reach "surgeries"),
 *    - the window: {@link AssertionOptions.forwardWindow} words, where an entity counts as one word however
 *      long it is and the filler words of {@link WINDOW_FILLER} ("and", "or", "of", "her" ...) and punctuation
 *      count as none, so that a list under one negation ("denies fever, chills, nausea or vomiting") stays
 *      in scope while a long sentence does not.
 *    A backward trigger ("was ruled out", "is unlikely", "negative") scopes back to the sentence start the
 *    same way, with {@link AssertionOptions.backwardWindow}, and also stops at a comma ("Prior TB, sputum
 *    now negative" leaves TB alone) and at the start of its line ("Dx: asthma\n? LRTI" doubts LRTI only). A
 *    `both` trigger does both. The default windows (8 forward, 5
 *    backward) were measured: on the dev set every window of at least 7 / 3 scores the same; on MTSamples
 *    unlimited windows change 1.3% of the assertions, nearly all of them for the worse.
 * 3. An entity is reached by a trigger when the entity overlaps the trigger's scope; a trigger that overlaps
 *    the entity's own span does not count for that entity (it still counts for the others).
 * 4. Sections: a header ("FAMILY HISTORY:", "PMH:", "Past surgical history:") at the start of a line or a
 *    sentence opens a section whose category every entity in it receives; it lasts until the next header
 *    (a known one; any ALL-CAPS header that is not a relative, so "MOTHER:" under "FAMILY HISTORY:"
 *    does not end it; a line opening with up to four words and a colon, none an entity or a relative) or
 *    a blank line after some content. Neutral headers ("SOCIAL HISTORY:", "ALLERGIES:", "MEDICATIONS:")
 *    only end the previous section. "Differential:" opens a `possible` section. Within a
 *    sentence, a terminator of the section's category cuts it for the rest of that sentence
 *    ("PMH: HTN, T2DM. On metformin": "on" ends `historical`, so metformin is present).
 * 5. Precedence, when several categories reach one entity (section included):
 *    family > absent > possible > historical > present (the default).
 *    - family first: an entity of a relative's history is not the patient's, negated or not
 *      ("Family history: negative for colon cancer" is family);
 *    - absent over possible: "no evidence of possible pneumonia" and NegEx's "unlikely" are negations;
 *    - possible over historical: "history of possible seizures" is still uncertain; absent over historical:
 *      "no history of diabetes", and "PMH: no diabetes".
 *
 * Pure and total: never throws for any text, sentences or spans (spans outside the text, empty, reversed or
 * off the token grid are placed at the nearest token), and returns exactly one assertion per entity.
 */
import { DEFAULT_ASSERTION_LEXICON } from './assertion-triggers.js';
import { firstEndingAfter } from '../text/ordered-spans.js';
import type { AssertionLexicon, TriggerCategory } from './assertion-triggers.js';
import { tokenize } from '../text/tokenizer.js';
import type { Assertion, EntityType, Sentence, Token } from '../text/types.js';

export interface AssertionOptions {
  /** Words a forward trigger reaches (an entity is one word; fillers and punctuation are none). */
  forwardWindow: number;
  /** Words a backward trigger reaches. */
  backwardWindow: number;
  /** Categories from strongest to weakest; any category left out ranks below those listed. */
  precedence: readonly TriggerCategory[];
}

export const DEFAULT_ASSERTION_OPTIONS: AssertionOptions = {
  forwardWindow: 8,
  backwardWindow: 5,
  precedence: ['family', 'absent', 'possible', 'historical'],
};

/** Words that do not count towards a scope window. */
export const WINDOW_FILLER: readonly string[] = [
  'and', 'or', 'nor', 'any', 'a', 'an', 'the', 'of', 'in', 'her', 'his', 'their', 'at', 'with', 'for', 'to',
  'by', 'as', '&', 'and/or', 'also', 'other',
];

/** An entity span to assert: character offsets into the note. */
export interface AssertableSpan {
  start: number;
  end: number;
  type: EntityType;
}

// ---------------------------------------------------------------------------------------------------
// Compiled rules.

const CATEGORY_BIT: Record<TriggerCategory, number> = { absent: 1, possible: 2, historical: 4, family: 8 };
const BIT_CATEGORY: readonly TriggerCategory[] = ['absent', 'possible', 'historical', 'family'];
const ALL_CATEGORIES = 15;

interface PhraseEntry {
  pseudo: boolean;
  /** Category bits this phrase triggers forward / backward. */
  forward: number;
  backward: number;
  /** Category bits this phrase triggers for diseases only. */
  diseasesOnly: number;
  /** The longest forward window of its triggers, where one sets its own. */
  forwardWindow: number | null;
  /** Category bits whose forward / backward scopes this phrase ends. */
  endsForward: number;
  endsBackward: number;
}

interface TrieNode<E> {
  entry: E | null;
  next: Map<string, TrieNode<E>> | null;
}

interface SectionEntry {
  category: TriggerCategory | null;
}

interface PreventionEntry {
  forward: boolean;
  backward: boolean;
}

/** Compiled assertion rules: build once with {@link compileAssertionRules}, reuse for every call. */
export interface AssertionRules {
  readonly phrases: ReadonlyMap<string, TrieNode<PhraseEntry>>;
  readonly preventions: ReadonlyMap<string, TrieNode<PreventionEntry>>;
  readonly relapsing: ReadonlySet<string>;
  readonly recurrence: ReadonlySet<string>;
  readonly sections: ReadonlyMap<string, TrieNode<SectionEntry>>;
  /** Single-token relatives ("mother"): an ALL-CAPS "MOTHER:" is not a header that ends a section. */
  readonly relatives: ReadonlySet<string>;
  readonly filler: ReadonlySet<string>;
  readonly forwardWindow: number;
  readonly backwardWindow: number;
  /** Category bits, strongest first. */
  readonly order: readonly number[];
}

/** The key of every year token 1900-2099 (`<year>` in a phrase). No token normalizes to it otherwise. */
const YEAR = '\u0000year';

function isYear(token: string): boolean {
  if (token.length !== 4) return false;
  const c0 = token.charCodeAt(0);
  const c1 = token.charCodeAt(1);
  const c2 = token.charCodeAt(2);
  const c3 = token.charCodeAt(3);
  return ((c0 === 49 && c1 === 57) || (c0 === 50 && c1 === 48)) && c2 >= 48 && c2 <= 57 && c3 >= 48 && c3 <= 57;
}

/** A number joined to a unit of time, "4-month", "3-day": read as the unit, as when the two are written apart. */
const COUNTED_TIME = /^\d+-(hour|day|week|month|year|yr)s?$/;

/**
 * Lower case, curly apostrophe straightened, a final abbreviation period dropped (`Hx.` -> `hx`), a year
 * 1900-2099 mapped to {@link YEAR}, a counted unit of time to the unit ("4-month" -> `month`).
 */
function normalize(token: string): string {
  if (isYear(token)) return YEAR;
  const first = token.charCodeAt(0);
  if (first >= 48 && first <= 57 && token.includes('-')) {
    const counted = COUNTED_TIME.exec(token.toLowerCase());
    if (counted) return counted[1] as string;
  }
  let s = token.toLowerCase();
  if (s.length > 1 && s.charCodeAt(s.length - 1) === 46 && s.charCodeAt(s.length - 2) !== 46) s = s.slice(0, -1);
  if (s.indexOf('\u2019') >= 0) s = s.replaceAll('\u2019', "'");
  return s;
}

function phraseKeys(phrase: string): string[] {
  return phrase.split('<year>').flatMap((part, i) => [...(i > 0 ? [YEAR] : []), ...tokenize(part).map((t) => normalize(t.text))]);
}

function insert<E>(root: Map<string, TrieNode<E>>, keys: readonly string[], create: () => E): E | null {
  let map = root;
  let node: TrieNode<E> | null = null;
  for (const key of keys) {
    if (node) map = node.next ??= new Map();
    let child = map.get(key);
    if (!child) {
      child = { entry: null, next: null };
      map.set(key, child);
    }
    node = child;
  }
  if (!node) return null;
  return (node.entry ??= create());
}

/** Compiles a lexicon into rules; a phrase listed several times merges its roles (pseudo wins). */
export function compileAssertionRules(
  lexicon: AssertionLexicon = DEFAULT_ASSERTION_LEXICON,
  options: Partial<AssertionOptions> = {},
): AssertionRules {
  const settings = { ...DEFAULT_ASSERTION_OPTIONS, ...options };
  const phrases = new Map<string, TrieNode<PhraseEntry>>();
  const newEntry = (): PhraseEntry => ({ pseudo: false, forward: 0, backward: 0, diseasesOnly: 0, forwardWindow: null, endsForward: 0, endsBackward: 0 });
  // A category a phrase triggers for every type too is not limited to diseases.
  const everyType = new Map<PhraseEntry, number>();
  for (const trigger of lexicon.triggers) {
    const entry = insert(phrases, phraseKeys(trigger.phrase), newEntry);
    if (!entry) continue;
    const bit = CATEGORY_BIT[trigger.category];
    if (trigger.diseasesOnly) entry.diseasesOnly |= bit;
    else everyType.set(entry, (everyType.get(entry) ?? 0) | bit);
    if (trigger.window !== undefined) entry.forwardWindow = Math.max(entry.forwardWindow ?? 0, Math.floor(trigger.window));
    if (trigger.direction !== 'backward') entry.forward |= bit;
    if (trigger.direction !== 'forward') entry.backward |= bit;
  }
  for (const [entry, bits] of everyType) entry.diseasesOnly &= ~bits;
  for (const terminator of lexicon.terminators) {
    const entry = insert(phrases, phraseKeys(terminator.phrase), newEntry);
    if (!entry) continue;
    const bits = terminator.categories ? terminator.categories.reduce((all, c) => all | CATEGORY_BIT[c], 0) : ALL_CATEGORIES;
    if (terminator.direction !== 'backward') entry.endsForward |= bits;
    if (terminator.direction !== 'forward') entry.endsBackward |= bits;
  }
  for (const phrase of lexicon.pseudoTriggers) {
    const entry = insert(phrases, phraseKeys(phrase), newEntry);
    if (entry) entry.pseudo = true;
  }
  const preventions = new Map<string, TrieNode<PreventionEntry>>();
  for (const prevention of lexicon.preventions?.phrases ?? []) {
    const entry = insert(preventions, phraseKeys(prevention.phrase), (): PreventionEntry => ({ forward: false, backward: false }));
    if (entry) entry[prevention.direction] = true;
  }
  const sections = new Map<string, TrieNode<SectionEntry>>();
  for (const header of lexicon.sections) {
    const entry = insert(sections, phraseKeys(header.phrase), (): SectionEntry => ({ category: header.category }));
    if (entry && header.category !== null) entry.category = header.category;
  }
  const relatives = new Set<string>();
  for (const trigger of lexicon.triggers) {
    const keys = phraseKeys(trigger.phrase);
    if (trigger.category === 'family' && keys.length === 1 && keys[0] !== undefined) relatives.add(keys[0]);
  }
  const order = settings.precedence.map((c) => CATEGORY_BIT[c]);
  for (const bit of [1, 2, 4, 8]) if (!order.includes(bit)) order.push(bit);
  return {
    phrases,
    preventions,
    relapsing: new Set(lexicon.preventions?.relapsing ?? []),
    recurrence: new Set(lexicon.preventions?.recurrence ?? []),
    sections,
    relatives,
    filler: new Set(WINDOW_FILLER),
    forwardWindow: Math.max(0, Math.floor(settings.forwardWindow)),
    backwardWindow: Math.max(0, Math.floor(settings.backwardWindow)),
    order,
  };
}

let defaultRules: AssertionRules | undefined;

/** The rules of the default lexicon and options, compiled on first use. */
export function defaultAssertionRules(): AssertionRules {
  return (defaultRules ??= compileAssertionRules());
}

// ---------------------------------------------------------------------------------------------------
// Sections.

interface SectionState {
  category: TriggerCategory | null;
  /** Whether a token followed the header (a blank line ends the section only then). */
  content: boolean;
  /** End offset of the previous token seen. */
  previousEnd: number;
  /** Whether any token has been seen. */
  started: boolean;
}

/** Line breaks in text[from, to), counting \r\n once; stops counting at 2. */
function lineBreaks(text: string, from: number, to: number): number {
  let breaks = 0;
  const end = Math.min(to, text.length);
  for (let k = Math.max(0, from); k < end; k++) {
    const code = text.charCodeAt(k);
    if (code === 10 || code === 12 || code === 0x2028 || code === 0x2029) breaks += 1;
    else if (code === 13) {
      breaks += 1;
      if (text.charCodeAt(k + 1) === 10) k += 1;
    }
    if (breaks >= 2) break;
  }
  return breaks;
}

function isAllCapsWord(token: string): boolean {
  return token !== token.toLowerCase() && token === token.toUpperCase();
}

/** The normalized token m (from `norms` when the caller has them), '' past the sentence. */
function normAt(tokens: readonly Token[], norms: readonly string[] | null, m: number): string {
  return (norms ? norms[m] : tokens[m] && normalize(tokens[m].text)) ?? '';
}

/**
 * The header starting at token `k`, if any: its category (`null` for a neutral header) and the index of
 * the first token after it (after its `:`).
 */
function headerAt(
  text: string,
  tokens: readonly Token[],
  norms: readonly string[] | null,
  k: number,
  rules: AssertionRules,
  isFree?: (token: Token) => boolean,
): { category: TriggerCategory | null; end: number } | null {
  // A known header, longest first.
  let node = rules.sections.get(normAt(tokens, norms, k));
  let j = k;
  let best: SectionEntry | null = null;
  let bestEnd = -1;
  while (node) {
    if (node.entry) {
      best = node.entry;
      bestEnd = j + 1;
    }
    j += 1;
    if (j >= tokens.length || !node.next) break;
    const previous = tokens[j - 1];
    const token = tokens[j];
    if (previous && token && lineBreaks(text, previous.end, token.start) > 0) break;
    node = node.next.get(normAt(tokens, norms, j));
  }
  if (best && bestEnd > k) {
    if (normAt(tokens, norms, bestEnd) === ':') return { category: best.category, end: bestEnd + 1 };
    // "FAMILY HISTORY" alone on its line, in capitals.
    const last = tokens[bestEnd - 1];
    const next = tokens[bestEnd];
    let caps = true;
    for (let m = k; m < bestEnd && caps; m++) caps = /[A-Z]/.test(tokens[m]?.text ?? '') ? isAllCapsWord(tokens[m]?.text ?? '') : true;
    if (caps && last && (!next || lineBreaks(text, last.end, next.start) > 0)) return { category: best.category, end: bestEnd };
  }
  // Any other ALL-CAPS header of up to six words, unless it names a relative ("MOTHER:").
  const capitals = capitalsHeaderAt(text, tokens, norms, k, rules);
  if (capitals || !atLineStart(text, tokens, k) || !isFree) return capitals;
  return plainHeaderAt(text, tokens, norms, k, rules, isFree);
}

/** Longest header in ordinary case that ends a section without being one the lexicon knows. */
const MAX_PLAIN_HEADER_WORDS = 4;

/**
 * A line that starts with up to four words and a colon ("Presentation:", "Medications on discharge:") heads a
 * section of its own, so it ends the one above it: an unknown header otherwise left "Family history:" governing
 * a discharge summary's medication list. It is no header when a word of it is an entity ("Hypertension:
 * amlodipine" is an item of the section) or names a relative ("Mother: HTN").
 */
function plainHeaderAt(
  text: string,
  tokens: readonly Token[],
  norms: readonly string[] | null,
  k: number,
  rules: AssertionRules,
  isFree: (token: Token) => boolean,
): { category: null; end: number } | null {
  for (let m = k; m < tokens.length && m <= k + MAX_PLAIN_HEADER_WORDS; m++) {
    const token = tokens[m] as Token;
    if (m > k && lineBreaks(text, (tokens[m - 1] as Token).end, token.start) > 0) return null;
    const norm = normAt(tokens, norms, m);
    if (norm === ':') return m > k ? { category: null, end: m + 1 } : null;
    if (!/^[A-Za-z][a-z]*$/.test(token.text) || rules.relatives.has(norm) || !isFree(token)) return null;
  }
  return null;
}

/** Longest bullet or number a line may start with before its first word ("  12) ", "- • "). */
const MAX_LINE_LEAD_CHARS = 16;
const LINE_LEAD_CHAR = /[\s\-*•#\d.)]/;

/**
 * Whether token `k` is the first of its line (after any bullet or number). Read back from the token at most
 * MAX_LINE_LEAD_CHARS: a line of nothing but numbers and dashes would otherwise be read whole for each of its tokens.
 */
function atLineStart(text: string, tokens: readonly Token[], k: number): boolean {
  const start = (tokens[k] as Token).start;
  for (let i = start - 1; i >= start - MAX_LINE_LEAD_CHARS; i--) {
    if (i < 0 || text.charCodeAt(i) === 10) return true;
    if (!LINE_LEAD_CHAR.test(text[i] as string)) return false;
  }
  return false;
}

function capitalsHeaderAt(
  text: string,
  tokens: readonly Token[],
  norms: readonly string[] | null,
  k: number,
  rules: AssertionRules,
): { category: TriggerCategory | null; end: number } | null {
  let words = 0;
  for (let m = k; m < tokens.length && m < k + 7; m++) {
    const token = tokens[m];
    if (!token) return null;
    const norm = normAt(tokens, norms, m);
    if (m > k) {
      const previous = tokens[m - 1];
      if (previous && lineBreaks(text, previous.end, token.start) > 0) return null;
    }
    if (norm === ':') return words > 0 ? { category: null, end: m + 1 } : null;
    if (rules.relatives.has(norm)) return null;
    if (isAllCapsWord(token.text)) words += 1;
    else if (norm !== '/' && norm !== '&' && norm !== '-') return null;
  }
  return null;
}

/** The section of each token of a sentence, and the token from which it holds in this sentence. */
interface SentenceSections {
  category: (TriggerCategory | null)[];
  from: Int32Array;
}

/** Advances the section state over the tokens of one sentence; fills `sections` when given. */
function walkSections(
  text: string,
  sentence: Sentence,
  norms: readonly string[] | null,
  state: SectionState,
  rules: AssertionRules,
  sections: SentenceSections | null,
  entities: readonly AssertableSpan[] = [],
): void {
  const tokens = sentence.tokens;
  const isFree = (token: Token): boolean => !entities.some((e) => e.start < token.end && e.end > token.start);
  let headerEnd = -1;
  let from = 0;
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k] as Token;
    const breaks = state.started ? lineBreaks(text, state.previousEnd, token.start) : 1;
    state.started = true;
    state.previousEnd = token.end;
    if (k >= headerEnd) {
      if (breaks >= 2 && state.content) state.category = null;
      if (k === 0 || breaks > 0) {
        const header = headerAt(text, tokens, norms, k, rules, isFree);
        if (header) {
          state.category = header.category;
          state.content = false;
          headerEnd = header.end;
          from = header.end;
        }
      }
      if (k >= headerEnd) state.content = true;
    }
    if (sections) {
      sections.category[k] = state.category;
      sections.from[k] = from;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Triggers and scopes.

function isWordToken(token: string): boolean {
  const code = token.charCodeAt(0);
  if (code < 128) return (code >= 48 && code <= 57) || ((code | 0x20) >= 97 && (code | 0x20) <= 122);
  return /^[\p{L}\p{N}]/u.test(token);
}

interface PhraseMatch<E> {
  start: number;
  end: number;
  entry: E;
}

type Match = PhraseMatch<PhraseEntry>;

/** Left-to-right, longest-first matches of the lexicon in one sentence (pseudo-triggers dropped). */
function findMatches(norms: readonly string[], rules: AssertionRules): Match[] {
  return longestMatches(rules.phrases, norms).filter((m) => !m.entry.pseudo);
}

/** Left-to-right, longest-first matches of a phrase trie on whole tokens. */
function longestMatches<E>(root: ReadonlyMap<string, TrieNode<E>>, norms: readonly string[]): PhraseMatch<E>[] {
  const matches: PhraseMatch<E>[] = [];
  const n = norms.length;
  let i = 0;
  while (i < n) {
    let node = root.get(norms[i] as string);
    let best: E | null = null;
    let bestEnd = -1;
    let j = i;
    while (node) {
      if (node.entry) {
        best = node.entry;
        bestEnd = j + 1;
      }
      j += 1;
      if (j >= n || !node.next) break;
      node = node.next.get(norms[j] as string);
    }
    if (best === null) {
      i += 1;
      continue;
    }
    matches.push({ start: i, end: bestEnd, entry: best });
    i = bestEnd;
  }
  return matches;
}

/**
 * Per entity, 1 when a prevention phrase names it ("DVT prophylaxis", "to prevent further bleeding"): only a
 * disease, only the one beside the phrase, never one the phrase is part of.
 */
function preventedEntities(
  norms: readonly string[],
  tokens: readonly Token[],
  entities: readonly AssertableSpan[],
  ranges: readonly [number, number][],
  entityAt: Int32Array,
  startsLine: Uint8Array,
  rules: AssertionRules,
): Uint8Array {
  const prevented = new Uint8Array(entities.length);
  if (rules.preventions.size === 0) return prevented;
  const n = norms.length;
  const mark = (index: number): void => {
    if (index < 0 || entities[index]?.type !== 'disease') return;
    const [from, to] = ranges[index] as [number, number];
    if (to <= from || rules.relapsing.has(norms[to - 1] as string)) return;
    for (let j = Math.max(0, from - 1); j < to; j++) if (rules.recurrence.has(norms[j] as string)) return;
    prevented[index] = 1;
  };
  for (const m of longestMatches(rules.preventions, norms)) {
    if ((entityAt[m.start] as number) >= 0 || (entityAt[m.end - 1] as number) >= 0) continue;
    if (m.entry.backward && startsLine[m.start] !== 1) {
      // Right after the name only: in "COPD and risk for ventilation" the risk is not COPD's.
      const j = m.start - 1;
      const index = j >= 0 ? (entityAt[j] as number) : -1;
      if (index >= 0 && (ranges[index] as [number, number])[1] === j + 1) mark(index);
    }
    if (m.entry.forward) {
      let others = 0;
      for (let j = m.end; j < n && startsLine[j] !== 1; j++) {
        const index = entityAt[j] as number;
        if (index >= 0) {
          mark(index);
          break;
        }
        if (rules.filler.has(norms[j] as string)) continue;
        if (!isWordToken((tokens[j] as Token).text) || rules.recurrence.has(norms[j] as string) || ++others > 1) break;
      }
    }
  }
  return prevented;
}

/** A phrase of the assertion lexicon found in a sentence, for span rules that keep cue words out of entities. */
export interface AssertionCue {
  /** Tokens it covers. */
  length: number;
  /** Whether it is a trigger that reaches what follows it / what precedes it (a pseudo-trigger reaches neither). */
  forward: boolean;
  backward: boolean;
}

/**
 * The longest lexicon phrase (trigger, pseudo-trigger or terminator) that starts at `words[at]` and ends by
 * `end`, matched as assertEntities matches (whole tokens, normalized); null when none starts there. A
 * pseudo-trigger is returned with neither direction: "no increase" hides the "no" inside it.
 */
export function assertionCueAt(
  words: readonly string[],
  at: number,
  end: number = words.length,
  rules: AssertionRules = defaultAssertionRules(),
): AssertionCue | null {
  let best: PhraseEntry | null = null;
  let bestEnd = -1;
  let node = at < end ? rules.phrases.get(normalize(words[at] as string)) : undefined;
  let j = at;
  while (node) {
    if (node.entry) {
      best = node.entry;
      bestEnd = j + 1;
    }
    j += 1;
    if (j >= end || !node.next) break;
    node = node.next.get(normalize(words[j] as string));
  }
  if (!best) return null;
  return { length: bestEnd - at, forward: !best.pseudo && best.forward !== 0, backward: !best.pseudo && best.backward !== 0 };
}

/** Token range [start, end) of a character span; a span off the token grid becomes an empty range. */
function tokenRange(tokens: readonly Token[], start: number, end: number): [number, number] {
  const lo = firstEndingAfter(tokens, start);
  let last = lo;
  while (last < tokens.length && (tokens[last] as Token).start < end) last += 1;
  return [lo, Math.max(lo, last)];
}

/**
 * Scope of `match` for category `bit`, walking in `step` direction (+1 forward, -1 backward):
 * returns the token range [from, to) it covers.
 */
function scopeOf(
  match: Match,
  bit: number,
  step: 1 | -1,
  norms: readonly string[],
  tokens: readonly Token[],
  matchAt: Int32Array,
  matches: readonly Match[],
  entityAt: Int32Array,
  rules: AssertionRules,
  startsLine: Uint8Array,
): [number, number] {
  const window = step === 1 ? (match.entry.forwardWindow ?? rules.forwardWindow) : rules.backwardWindow;
  const n = norms.length;
  let j = step === 1 ? match.end : match.start - 1;
  let words = 0;
  let lastEntity = -1;
  while (j >= 0 && j < n) {
    // A trigger reaches back no further than its line: "Dx: asthma\n? LRTI" doubts LRTI, not the asthma.
    if (step === -1 && startsLine[j + 1] === 1) break;
    const at = matchAt[j] as number;
    if (at >= 0) {
      const other = matches[at] as Match;
      if (((step === 1 ? other.entry.endsForward : other.entry.endsBackward) & bit) !== 0) break;
      const adjacent = step === 1 ? other.start === match.end : other.end === match.start;
      const categories = other.entry.forward | other.entry.backward;
      if (categories !== 0 && (categories & bit) === 0 && !adjacent) break;
    }
    const entity = entityAt[j] as number;
    if (entity >= 0) {
      if (entity !== lastEntity) words += 1;
    } else if (isWordToken((tokens[j] as Token).text) && !rules.filler.has(norms[j] as string)) {
      words += 1;
    }
    lastEntity = entity;
    if (words > window) break;
    j += step;
  }
  return step === 1 ? [match.end, j] : [j + 1, match.start];
}

function pickAssertion(bits: number, rules: AssertionRules): Assertion {
  if (bits === 0) return 'present';
  for (const bit of rules.order) if ((bits & bit) !== 0) return BIT_CATEGORY[Math.log2(bit)] as TriggerCategory;
  return 'present';
}

/** A section's category bit, unless a terminator of it stands between the section start and the entity. */
function sectionBit(bit: number, sectionFrom: number, entityFrom: number, matches: readonly Match[]): number {
  for (const m of matches) {
    if (m.start >= entityFrom) break;
    if (m.start >= sectionFrom && m.end <= entityFrom && (m.entry.endsForward & bit) !== 0) return 0;
  }
  return bit;
}

function assertSentence(
  sentence: Sentence,
  norms: readonly string[],
  sections: SentenceSections,
  entities: readonly AssertableSpan[],
  rules: AssertionRules,
  text: string,
): Assertion[] {
  const tokens = sentence.tokens;
  const n = tokens.length;
  const startsLine = new Uint8Array(n + 1);
  for (let k = 1; k < n; k++) if (lineBreaks(text, (tokens[k - 1] as Token).end, (tokens[k] as Token).start) > 0) startsLine[k] = 1;
  const ranges = entities.map((e) => tokenRange(tokens, Number(e.start), Number(e.end)));
  const entityAt = new Int32Array(n).fill(-1);
  ranges.forEach(([from, to], index) => {
    for (let j = from; j < to; j++) if ((entityAt[j] as number) < 0) entityAt[j] = index;
  });
  const matches = findMatches(norms, rules);
  const matchAt = new Int32Array(n).fill(-1);
  matches.forEach((m, index) => {
    matchAt[m.start] = index;
  });
  // Scopes of every trigger, per category bit: [matchIndex, bit, from, to].
  const scopes: [number, number, number, number][] = [];
  matches.forEach((m, index) => {
    for (let bit = 1; bit <= 8; bit <<= 1) {
      if ((m.entry.forward & bit) !== 0) {
        const [from, to] = scopeOf(m, bit, 1, norms, tokens, matchAt, matches, entityAt, rules, startsLine);
        if (to > from) scopes.push([index, bit, from, to]);
      }
      if ((m.entry.backward & bit) !== 0) {
        const [from, to] = scopeOf(m, bit, -1, norms, tokens, matchAt, matches, entityAt, rules, startsLine);
        if (to > from) scopes.push([index, bit, from, to]);
      }
    }
  });
  const prevented = preventedEntities(norms, tokens, entities, ranges, entityAt, startsLine, rules);
  return ranges.map(([from, to], entityIndex) => {
    const at = Math.min(from, n - 1);
    const end = Math.max(to, from + 1); // an empty range still sits at one token position
    const section = at >= 0 ? sections.category[at] : null;
    let bits = section ? sectionBit(CATEGORY_BIT[section], sections.from[at] ?? 0, from, matches) : 0;
    if (prevented[entityIndex] === 1) bits |= CATEGORY_BIT.possible;
    for (const [index, bit, scopeFrom, scopeTo] of scopes) {
      const m = matches[index] as Match;
      if (m.start < end && m.end > from) continue; // a trigger inside (overlapping) the entity itself
      if ((m.entry.diseasesOnly & bit) !== 0 && entities[entityIndex]?.type !== 'disease') continue;
      if (scopeFrom < end && scopeTo > from) bits |= bit;
    }
    return pickAssertion(bits, rules);
  });
}

/**
 * The assertion of every entity, in the shape of `entitiesBySentence` (one list per sentence, one
 * assertion per entity, same order). `sentences` are `splitSentences(text)`; an entity is judged in the
 * sentence it is listed under, and sections are followed across sentences in order.
 */
export function assertEntities(
  text: string,
  sentences: readonly Sentence[],
  entitiesBySentence: readonly (readonly AssertableSpan[])[],
  rules: AssertionRules = defaultAssertionRules(),
): Assertion[][] {
  const result: Assertion[][] = [];
  const state: SectionState = { category: null, content: false, previousEnd: 0, started: false };
  const count = Math.max(sentences.length, entitiesBySentence.length);
  for (let s = 0; s < count; s++) {
    const sentence = sentences[s];
    const entities = entitiesBySentence[s] ?? [];
    if (!sentence) {
      result.push(entities.map((): Assertion => state.category ?? 'present'));
      continue;
    }
    if (entities.length === 0) {
      walkSections(text, sentence, null, state, rules, null);
      if (s < entitiesBySentence.length) result.push([]);
      continue;
    }
    const norms = sentence.tokens.map((t) => normalize(t.text));
    const n = sentence.tokens.length;
    const sections: SentenceSections = { category: new Array<TriggerCategory | null>(n).fill(null), from: new Int32Array(n) };
    walkSections(text, sentence, norms, state, rules, sections, entities);
    result.push(assertSentence(sentence, norms, sections, entities, rules, text));
  }
  return result;
}
