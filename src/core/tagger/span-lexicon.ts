import { foldPartition, kFoldIndices } from '../text/folds.js';
import type { WordMemo } from './word-memo.js';

/**
 * The entity names the annotators labelled in the training sentences, with how often each was labelled
 * where it occurs. The corpus labels a mention only in sentences stating a disease–treatment relation, so
 * "cancer" is labelled in some sentences and not others; the rate says how much a match is worth, and the
 * CRF learns it per bucket. Learned out of fold for the CRF's own training sentences (see outOfFoldSpanLexicon),
 * like the relevance classifiers, so the CRF never learns from a lexicon that already holds the sentence's answer.
 */
export type SpanLabel = 'D' | 'T';

export interface SpanLexiconEntry {
  tokens: readonly string[];
  label: SpanLabel;
  /** Times the token sequence was a gold span of this label. */
  labelled: number;
  /** Times the token sequence occurs in the training sentences, labelled or not. */
  seen: number;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  entry: SpanLexiconEntry | null;
}

export interface SpanLexicon {
  /**
   * Per token: the tags of the longest entry covering it, e.g. ['B-D', 'B-D:hi']; empty when none.
   * memos[i], when given, is lowerTokens[i]'s WordMemo: where names starting with the word are, looked up once.
   */
  match(lowerTokens: readonly string[], memos?: readonly WordMemo[]): (readonly string[])[];
  entries(): SpanLexiconEntry[];
}

export interface SpanLexiconExample {
  lowerWords: readonly string[];
  labels: readonly string[];
}

const MAX_SPAN_TOKENS = 8;
const NO_TAGS: readonly string[] = Object.freeze([]);

export function rateBucket(labelled: number, seen: number): 'lo' | 'mid' | 'hi' {
  const rate = labelled / Math.max(1, seen);
  return rate < 0.34 ? 'lo' : rate < 0.67 ? 'mid' : 'hi';
}

function tagsFor(entry: SpanLexiconEntry): { begin: readonly string[]; inside: readonly string[] } {
  const bucket = rateBucket(entry.labelled, entry.seen);
  return {
    begin: Object.freeze([`B-${entry.label}`, `B-${entry.label}:${bucket}`]),
    inside: Object.freeze([`I-${entry.label}`, `I-${entry.label}:${bucket}`]),
  };
}

export function buildSpanLexicon(entries: Iterable<SpanLexiconEntry>): SpanLexicon {
  const root: TrieNode = { children: new Map(), entry: null };
  const kept: SpanLexiconEntry[] = [];
  const tags = new Map<SpanLexiconEntry, ReturnType<typeof tagsFor>>();
  for (const entry of entries) {
    if (entry.tokens.length === 0 || entry.tokens.length > MAX_SPAN_TOKENS) continue;
    let node = root;
    for (const token of entry.tokens) {
      let child = node.children.get(token);
      if (!child) node.children.set(token, (child = { children: new Map(), entry: null }));
      node = child;
    }
    if (node.entry) continue;
    node.entry = entry;
    kept.push(entry);
    tags.set(entry, tagsFor(entry));
  }
  const memoKey = Symbol('span lexicon first node');
  /** The node of names starting with lowerTokens[start] (null: none), from its memo when there is one. */
  const firstNode = (lowerTokens: readonly string[], start: number, memos: readonly WordMemo[] | undefined): TrieNode | null => {
    const memo = memos?.[start];
    if (memo === undefined) return root.children.get(lowerTokens[start] as string) ?? null;
    let node = memo[memoKey] as TrieNode | null | undefined;
    if (node === undefined) memo[memoKey] = node = root.children.get(lowerTokens[start] as string) ?? null;
    return node;
  };
  const match = (lowerTokens: readonly string[], memos?: readonly WordMemo[]): (readonly string[])[] => {
    const result: (readonly string[])[] = new Array<readonly string[]>(lowerTokens.length).fill(NO_TAGS);
    let start = 0;
    while (start < lowerTokens.length) {
      let node: TrieNode | undefined = root;
      let longest: SpanLexiconEntry | null = null;
      let longestEnd = start;
      for (let end = start; end < lowerTokens.length && end - start < MAX_SPAN_TOKENS; end++) {
        node = end === start ? (firstNode(lowerTokens, start, memos) ?? undefined) : node.children.get(lowerTokens[end] as string);
        if (!node) break;
        if (node.entry) {
          longest = node.entry;
          longestEnd = end + 1;
        }
      }
      if (!longest) {
        start++;
        continue;
      }
      const { begin, inside } = tags.get(longest) as ReturnType<typeof tagsFor>;
      for (let i = start; i < longestEnd; i++) result[i] = i === start ? begin : inside;
      start = longestEnd;
    }
    return result;
  };
  return { match, entries: () => kept };
}

function goldSpans(labels: readonly string[]): { start: number; end: number; label: SpanLabel }[] {
  const spans: { start: number; end: number; label: SpanLabel }[] = [];
  let i = 0;
  while (i < labels.length) {
    const label = labels[i];
    if (label !== 'D' && label !== 'T') {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < labels.length && labels[end] === label) end++;
    spans.push({ start: i, end, label });
    i = end;
  }
  return spans;
}

/** Every gold span of the sentences, with its majority label and how often it is labelled where it occurs. */
export function learnSpanLexicon(sentences: readonly SpanLexiconExample[]): SpanLexicon {
  const counts = new Map<string, { tokens: string[]; D: number; T: number; seen: number }>();
  for (const sentence of sentences) {
    for (const span of goldSpans(sentence.labels)) {
      if (span.end - span.start > MAX_SPAN_TOKENS) continue;
      const tokens = sentence.lowerWords.slice(span.start, span.end);
      const key = tokens.join(' ');
      const count = counts.get(key) ?? { tokens, D: 0, T: 0, seen: 0 };
      count[span.label]++;
      counts.set(key, count);
    }
  }
  // Occurrences anywhere, labelled or not: walk every start position through a trie of the names.
  const root: TrieNode = { children: new Map(), entry: null };
  const counted = new Map<TrieNode, { seen: number }>();
  for (const count of counts.values()) {
    let node: TrieNode = root;
    for (const token of count.tokens) {
      let child = node.children.get(token);
      if (!child) node.children.set(token, (child = { children: new Map(), entry: null }));
      node = child;
    }
    counted.set(node, count);
  }
  for (const sentence of sentences) {
    const words = sentence.lowerWords;
    for (let start = 0; start < words.length; start++) {
      let node: TrieNode | undefined = root;
      for (let end = start; end < words.length && end - start < MAX_SPAN_TOKENS; end++) {
        node = node.children.get(words[end] as string);
        if (!node) break;
        const count = counted.get(node);
        if (count) count.seen++;
      }
    }
  }
  const entries: SpanLexiconEntry[] = [];
  for (const count of counts.values()) {
    const label: SpanLabel = count.D >= count.T ? 'D' : 'T';
    entries.push({ tokens: count.tokens, label, labelled: count[label], seen: Math.max(count.seen, count[label]) });
  }
  return buildSpanLexicon(entries);
}

/**
 * A lexicon for each training sentence learned from the other folds, and the one learned from all
 * sentences, which ships with the CRF.
 */
export function outOfFoldSpanLexicon(
  sentences: readonly SpanLexiconExample[],
  folds = 5,
  seed = 7,
): { perSentence: SpanLexicon[]; full: SpanLexicon } {
  const full = learnSpanLexicon(sentences);
  const perSentence = new Array<SpanLexicon>(sentences.length).fill(full);
  const k = Math.min(folds, sentences.length);
  if (k >= 2) {
    const indices = kFoldIndices(sentences.length, k, seed);
    for (let fold = 0; fold < k; fold++) {
      const lexicon = learnSpanLexicon(foldPartition(sentences, indices, fold).train);
      for (const i of indices[fold] as number[]) perSentence[i] = lexicon;
    }
  }
  return { perSentence, full };
}
