/** A token of a note, with UTF-16 offsets: `text === note.slice(start, end)`. */
export interface Token {
  text: string;
  start: number;
  end: number;
}

/** A sentence of a note: its tokens and the offsets of the span it covers. */
export interface Sentence {
  start: number;
  end: number;
  tokens: Token[];
}

/** Corpus label of a token: D (disease), T (treatment), O (other). */
export type CorpusLabel = 'D' | 'T' | 'O';
export const CORPUS_LABELS: readonly CorpusLabel[] = ['D', 'T', 'O'];

/** One annotated sentence: tokens and one corpus label per token. */
export interface LabeledSentence {
  tokens: string[];
  labels: CorpusLabel[];
  /** Set for a sentence of a note written in note style (see note-lexicon.ts); corpus sentences have none. */
  noteStyle?: boolean;
}

export type EntityType = 'disease' | 'treatment';

/** Whether the note asserts the entity of the patient now (ConText's categories; see assertion.ts). */
export type Assertion = 'present' | 'absent' | 'possible' | 'historical' | 'family';
export const ASSERTIONS: readonly Assertion[] = ['present', 'absent', 'possible', 'historical', 'family'];

export interface Entity {
  type: EntityType;
  text: string;
  start: number;
  end: number;
  /** Whether the note asserts it of the patient now (negation, uncertainty, history, family: assertion.ts). */
  assertion: Assertion;
  /** Calibrated probability that this exact span is right (3 decimals). */
  confidence: number;
}

export interface Pair {
  disease: string;
  treatment: string;
}

/** The structured record extracted from one note (see ARCHITECTURE.md). */
export interface ExtractionRecord {
  noteId?: string;
  modelVersion: string;
  diseases: Entity[];
  treatments: Entity[];
  pairs: Pair[];
  entities: Entity[];
}
