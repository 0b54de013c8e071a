/**
 * Misspellings of vocabulary words: "diabetis", "hypertenshion", "paracetmol", "metfromin" are one edit
 * (a letter deleted, inserted, changed, or two neighbours swapped) from a name the gazetteer holds. A word is
 * read as the vocabulary word it misspells only when nothing else explains it: it is 6 letters or longer,
 * neither a vocabulary word nor a word the corpora and notes use (`knownWords`), and a vocabulary word of the
 * same first letter is one edit away; of several, the one more names use ("diabetis": diabetes, not
 * diabetic), none on a tie. Short words are left alone: at 4–5 letters one edit reaches
 * too many real words.
 */

export const MIN_FUZZY_LETTERS = 6;
/** Longer words are not looked at: an edit's variants grow with the word (a pathological 100,000-letter word). */
export const MAX_FUZZY_LETTERS = 30;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const LOWER_WORD = /^[a-z]+$/;
/** Lookups remembered per index; past this many distinct words the memory starts over (long-running API). */
const MAX_REMEMBERED = 50_000;

export interface FuzzyWords {
  /** The vocabulary word `word` misspells, or undefined. `word` lower-cased, as the gazetteer sees it. */
  correct(word: string): string | undefined;
}

/** How many names use each word names are made of. */
export type WordUses = Pick<ReadonlyMap<string, number>, 'has' | 'get'>;

/** `vocabulary`: the words names are made of; `knownWords`: real words that are not misspellings of them. */
export function createFuzzyWords(vocabulary: WordUses, knownWords: ReadonlySet<string>): FuzzyWords {
  const remembered = new Map<string, string | null>();
  return {
    correct(word) {
      if (word.length < MIN_FUZZY_LETTERS || word.length > MAX_FUZZY_LETTERS || vocabulary.has(word) || knownWords.has(word) || !LOWER_WORD.test(word)) return undefined;
      let found = remembered.get(word);
      if (found === undefined) {
        found = likeliestWordOneEditAway(word, vocabulary);
        if (remembered.size >= MAX_REMEMBERED) remembered.clear();
        remembered.set(word, found);
      }
      return found ?? undefined;
    },
  };
}

/**
 * The vocabulary word (same first letter, 5+ letters) one edit from `word` that the most names use; null when
 * none, or when two are used equally.
 */
export function likeliestWordOneEditAway(word: string, vocabulary: WordUses): string | null {
  let found: string | null = null;
  let foundUses = 0;
  let tied = false;
  const consider = (candidate: string): void => {
    if (candidate.length < MIN_FUZZY_LETTERS - 1 || candidate[0] !== word[0] || candidate === found) return;
    const uses = vocabulary.get(candidate);
    if (uses === undefined) return;
    if (uses > foundUses) {
      found = candidate;
      foundUses = uses;
      tied = false;
    } else if (uses === foundUses) {
      tied = true;
    }
  };
  const n = word.length;
  for (let i = 1; i < n; i++) {
    // deletion, then the swap of letters i and i+1
    consider(word.slice(0, i) + word.slice(i + 1));
    if (i + 1 < n) consider(word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2));
    for (const letter of LETTERS) {
      if (letter !== word[i]) consider(word.slice(0, i) + letter + word.slice(i + 1));
      consider(word.slice(0, i) + letter + word.slice(i));
    }
  }
  for (const letter of LETTERS) consider(word + letter);
  return tied ? null : found;
}
