/**
 * Assertion accuracy on gold notes, judged on the GOLD entity spans (as NegEx/ConText evaluations do), so
 * the figure measures the assertion rules alone, not the tagger's recall. Each gold entity is placed in the
 * sentence of `splitSentences(text)` that contains its start (the last sentence starting at or before it).
 */
import { assertEntities, defaultAssertionRules, type AssertableSpan, type AssertionRules } from '../clinical/assertion.js';
import { splitSentences } from '../text/tokenizer.js';
import { ASSERTIONS, type Assertion, type EntityType } from '../text/types.js';

/** A gold entity; a missing assertion means `present` (as in the JSONL annotations). */
export interface GoldAssertedEntity {
  type: EntityType;
  start: number;
  end: number;
  assertion?: Assertion;
}

export interface GoldAssertionNote {
  id: string;
  text: string;
  entities: readonly GoldAssertedEntity[];
}

/** Scores of one gold class. `accuracy` = correct / support (the class's recall); 0 when support is 0. */
export interface AssertionClassScores {
  support: number;
  correct: number;
  accuracy: number;
  /** How many entities were predicted in this class, and which share of them were right (0 if none). */
  predicted: number;
  precision: number;
}

/** One wrongly asserted gold entity (offsets only: no note text). */
export interface AssertionError {
  noteId: string;
  start: number;
  end: number;
  type: EntityType;
  gold: Assertion;
  predicted: Assertion;
}

export interface AssertionEvaluation {
  total: number;
  correct: number;
  accuracy: number;
  perClass: Record<Assertion, AssertionClassScores>;
  /** Gold class row × predicted class column, both in `labels` order. */
  confusion: { labels: Assertion[]; matrix: number[][] };
  errors: AssertionError[];
}

/** The sentence index holding `offset`: the last sentence starting at or before it (0 if none does). */
function sentenceIndex(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] as number) <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The predicted assertion of every gold entity of one note, in the note's entity order. */
export function predictNoteAssertions(note: GoldAssertionNote, rules: AssertionRules = defaultAssertionRules()): Assertion[] {
  const sentences = splitSentences(note.text);
  if (sentences.length === 0) return note.entities.map((): Assertion => 'present');
  const starts = sentences.map((s) => s.start);
  const bySentence: AssertableSpan[][] = sentences.map(() => []);
  const place: [number, number][] = note.entities.map((entity) => {
    const s = sentenceIndex(starts, entity.start);
    const list = bySentence[s] as AssertableSpan[];
    list.push({ start: entity.start, end: entity.end, type: entity.type });
    return [s, list.length - 1];
  });
  const predicted = assertEntities(note.text, sentences, bySentence, rules);
  return place.map(([s, k]) => predicted[s]?.[k] ?? 'present');
}

/** Accuracy overall and per gold class, and the confusion matrix, of the rules on gold notes. */
export function evaluateAssertions(notes: readonly GoldAssertionNote[], rules: AssertionRules = defaultAssertionRules()): AssertionEvaluation {
  const labels = [...ASSERTIONS];
  const index = new Map(labels.map((label, i) => [label, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  const errors: AssertionError[] = [];
  for (const note of notes) {
    const predicted = predictNoteAssertions(note, rules);
    note.entities.forEach((entity, k) => {
      const guess = predicted[k] ?? 'present';
      const gold = entity.assertion ?? 'present';
      const row = matrix[index.get(gold) ?? 0] as number[];
      const column = index.get(guess) ?? 0;
      row[column] = (row[column] ?? 0) + 1;
      if (guess !== gold) {
        errors.push({ noteId: note.id, start: entity.start, end: entity.end, type: entity.type, gold, predicted: guess });
      }
    });
  }
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const perClass = {} as Record<Assertion, AssertionClassScores>;
  let total = 0;
  let correct = 0;
  labels.forEach((label, i) => {
    const row = matrix[i] as number[];
    const support = row.reduce((sum, n) => sum + n, 0);
    const hits = row[i] ?? 0;
    const predictedCount = matrix.reduce((sum, r) => sum + (r[i] ?? 0), 0);
    perClass[label] = { support, correct: hits, accuracy: ratio(hits, support), predicted: predictedCount, precision: ratio(hits, predictedCount) };
    total += support;
    correct += hits;
  });
  return { total, correct, accuracy: ratio(correct, total), perClass, confusion: { labels, matrix }, errors };
}
