/**
 * One object per distinct lower-cased word, kept as long as a tagger's word cache keeps the word. A
 * resource (gazetteer, relevance classifier) caches what it looks up for the word on it, under a symbol of
 * its own: a property read, where a lookup in a map of tens of thousands of words costs several cache misses.
 * Optional everywhere: without memos, resources look words up as usual.
 */
export type WordMemo = Record<symbol, unknown>;
