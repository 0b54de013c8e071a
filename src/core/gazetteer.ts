import type { WordMemo } from './word-memo.js';

/**
 * A gazetteer of lower-cased token sequences (drug and disease names from open vocabularies), matched
 * longest-first over a sentence. Names in a list are evidence, not labels: the CRF learns how much to trust them.
 */
export type GazetteerKind = 'drug' | 'disease';

interface TrieNode {
  children: Map<string, TrieNode>;
  kinds: GazetteerKind[];
}

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
}

/** Longest phrase considered; longer names are dropped (they almost never occur verbatim in text). */
export const MAX_PHRASE_TOKENS = 8;

function newNode(): TrieNode {
  return { children: new Map(), kinds: [] };
}

export function buildGazetteer(entries: Iterable<GazetteerEntry>): Gazetteer {
  const root = newNode();
  const kept: GazetteerEntry[] = [];
  for (const entry of entries) {
    if (entry.tokens.length === 0 || entry.tokens.length > MAX_PHRASE_TOKENS) continue;
    let node = root;
    for (const token of entry.tokens) {
      let child = node.children.get(token);
      if (!child) {
        child = newNode();
        node.children.set(token, child);
      }
      node = child;
    }
    if (!node.kinds.includes(entry.kind)) {
      node.kinds.push(entry.kind);
      kept.push({ tokens: [...entry.tokens], kind: entry.kind });
    }
  }
  return gazetteerOver({ roots: [root], excluded: null, memoKey: Symbol('gazetteer') }, () => kept);
}

/** The tries a gazetteer matches over, and the phrases (tokens joined by a space) it never matches. */
interface Tries {
  roots: readonly TrieNode[];
  excluded: ReadonlySet<string> | null;
  /** Per root, the word's node under it (undefined: none), cached on the word's WordMemo. */
  memoKey: symbol;
}
const triesOf = new WeakMap<Gazetteer, Tries>();

function gazetteerOver(tries: Tries, listEntries: () => GazetteerEntry[]): Gazetteer {
  let entries: GazetteerEntry[] | undefined;
  const all = (): GazetteerEntry[] => (entries ??= listEntries());
  const gazetteer: Gazetteer = {
    get size() {
      return all().length;
    },
    entries: all,
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
  const own = buildGazetteer(entries);
  const ownTries = triesOf.get(own) as Tries;
  const baseTries = base ? triesOf.get(base) : undefined;
  const excluded = new Set(options.excluded ?? []);
  const tries: Tries = { roots: [...ownTries.roots, ...(baseTries?.roots ?? [])], excluded: excluded.size > 0 ? excluded : null, memoKey: Symbol('gazetteer') };
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
  });
}

const NO_TAGS: readonly string[] = Object.freeze([]);
// Shared tag strings: the encoder looks them up in maps, and a string made once keeps its hash.
const TAG = { B: { disease: 'B-disease', drug: 'B-drug' }, I: { disease: 'I-disease', drug: 'I-drug' } } as const;

// longestAt's results: module variables rather than an object per token (it runs for every token tagged).
let longestDisease = 0;
let longestDrug = 0;

/** Sets longestDisease / longestDrug to the end of the longest name of each kind starting at `start` (0: none). */
function longestAt(tries: Tries, tokens: readonly string[], start: number, memos?: readonly WordMemo[]): void {
  longestDisease = 0;
  longestDrug = 0;
  const roots = tries.roots;
  const memo = memos?.[start];
  let firsts: (TrieNode | undefined)[] | undefined;
  if (memo !== undefined) {
    firsts = memo[tries.memoKey] as (TrieNode | undefined)[] | undefined;
    if (firsts === undefined) memo[tries.memoKey] = firsts = roots.map((root) => root.children.get(tokens[start] as string));
  }
  for (let r = 0; r < roots.length; r++) {
    let node = firsts !== undefined ? firsts[r] : (roots[r] as TrieNode).children.get(tokens[start] as string);
    for (let end = start; node !== undefined; ) {
      if (node.kinds.length > 0 && !(tries.excluded !== null && tries.excluded.has(tokens.slice(start, end + 1).join(' ')))) {
        for (const kind of node.kinds) {
          if (kind === 'disease') longestDisease = Math.max(longestDisease, end + 1);
          else longestDrug = Math.max(longestDrug, end + 1);
        }
      }
      end++;
      if (end >= tokens.length || end - start >= MAX_PHRASE_TOKENS) break;
      node = node.children.get(tokens[end] as string);
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
