/**
 * Misspellings of vocabulary words: "diabetis", "hypertenshion", "paracetmol", "metfromin" are one edit
 * (a letter deleted, inserted, changed, or two neighbours swapped) from a name the gazetteer holds. A word is
 * read as the vocabulary word it misspells only when nothing else explains it: it is 6 letters or longer,
 * neither a vocabulary word nor a word the corpora and notes use (`knownWords`), and exactly one vocabulary
 * word of the same first letter is one edit away. Short words are left alone: at 4–5 letters one edit reaches
 * too many real words.
 */

export const MIN_FUZZY_LETTERS = 6;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const LOWER_WORD = /^[a-z]+$/;
/** Lookups remembered per index; past this many distinct words the memory starts over (long-running API). */
const MAX_REMEMBERED = 50_000;

export interface FuzzyWords {
  /** The vocabulary word `word` misspells, or undefined. `word` lower-cased, as the gazetteer sees it. */
  correct(word: string): string | undefined;
}

/** `vocabulary`: the words names are made of; `knownWords`: real words that are not misspellings of them. */
export function createFuzzyWords(vocabulary: ReadonlySet<string> | ReadonlyMap<string, unknown>, knownWords: ReadonlySet<string>): FuzzyWords {
  const remembered = new Map<string, string | null>();
  return {
    correct(word) {
      if (word.length < MIN_FUZZY_LETTERS || vocabulary.has(word) || knownWords.has(word) || !LOWER_WORD.test(word)) return undefined;
      let found = remembered.get(word);
      if (found === undefined) {
        found = uniqueWordOneEditAway(word, vocabulary);
        if (remembered.size >= MAX_REMEMBERED) remembered.clear();
        remembered.set(word, found);
      }
      return found ?? undefined;
    },
  };
}

/** The one vocabulary word (same first letter, 5+ letters) one edit from `word`; null when none or several. */
export function uniqueWordOneEditAway(word: string, vocabulary: ReadonlySet<string> | ReadonlyMap<string, unknown>): string | null {
  let found: string | null = null;
  const consider = (candidate: string): boolean => {
    if (candidate.length < MIN_FUZZY_LETTERS - 1 || candidate[0] !== word[0] || !vocabulary.has(candidate) || candidate === found) return true;
    if (found !== null) return false;
    found = candidate;
    return true;
  };
  const n = word.length;
  for (let i = 1; i < n; i++) {
    // deletion, then the swap of letters i and i+1
    if (!consider(word.slice(0, i) + word.slice(i + 1))) return null;
    if (i + 1 < n && !consider(word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2))) return null;
    for (const letter of LETTERS) {
      if (letter !== word[i] && !consider(word.slice(0, i) + letter + word.slice(i + 1))) return null;
      if (!consider(word.slice(0, i) + letter + word.slice(i))) return null;
    }
  }
  for (const letter of LETTERS) if (!consider(word + letter)) return null;
  return found;
}
