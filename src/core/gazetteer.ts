/**
 * A gazetteer of lower-cased token sequences (drug and disease names from open vocabularies), matched
 * longest-first over a sentence. Names in a list are evidence, not labels: the CRF learns how much to trust them.
 */
export type GazetteerKind = 'drug' | 'disease';

interface TrieNode {
  children: Map<string, TrieNode>;
  kinds: GazetteerKind[];
}

export interface GazetteerEntry {
  tokens: readonly string[];
  kind: GazetteerKind;
}

export interface Gazetteer {
  /** Per token: the match tags covering it, e.g. ['B-drug'] or ['I-disease', 'I-drug']; empty when none. */
  match(lowerTokens: readonly string[]): string[][];
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
  return {
    size: kept.length,
    entries: () => kept,
    match: (lowerTokens) => matchLongest(root, lowerTokens),
  };
}

/** For each kind separately, greedy left-to-right longest match; tags of both kinds may cover one token. */
function matchLongest(root: TrieNode, tokens: readonly string[]): string[][] {
  const tags: string[][] = tokens.map(() => []);
  const nextFree: Record<GazetteerKind, number> = { drug: 0, disease: 0 };
  for (let start = 0; start < tokens.length; start++) {
    let node: TrieNode | undefined = root;
    const longest: Record<GazetteerKind, number> = { drug: 0, disease: 0 };
    for (let end = start; end < tokens.length && end - start < MAX_PHRASE_TOKENS; end++) {
      node = node.children.get(tokens[end] as string);
      if (!node) break;
      for (const kind of node.kinds) longest[kind] = end + 1;
    }
    for (const kind of ['disease', 'drug'] as const) {
      const end = longest[kind];
      if (end === 0 || start < nextFree[kind]) continue;
      for (let i = start; i < end; i++) (tags[i] as string[]).push(`${i === start ? 'B' : 'I'}-${kind}`);
      nextFree[kind] = end;
    }
  }
  return tags;
}
