import { readBeHealthySplit } from '../src/corpus/behealthy-format.js';

/** Realistic notes for benchmarks and the attack suite: the test split's sentences joined into notes of about 60 tokens. */
export async function realisticNotes(corpusDir: string, tokensPerNote = 60): Promise<string[]> {
  const notes: string[] = [];
  let current: string[] = [];
  let tokens = 0;
  for (const sentence of (await readBeHealthySplit(corpusDir, 'test')).sentences) {
    current.push(sentence.tokens.join(' '));
    tokens += sentence.tokens.length;
    if (tokens >= tokensPerNote) {
      notes.push(current.join(' '));
      current = [];
      tokens = 0;
    }
  }
  return notes;
}
