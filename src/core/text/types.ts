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
  /**
   * The entities as token spans, when the source annotates their boundaries (offset-annotated corpora: two
   * adjacent entities stay two). Absent: an entity is a maximal run of one label, as in the BeHealthy corpus.
   */
  spans?: { type: 'D' | 'T'; start: number; end: number }[];
  /** The annotation domain the sentence is learned under (see tagger/domains.ts); absent: the shared weights only. */
  domain?: string;
  /** Set for a sentence of a note written in note style (see note-lexicon.ts); corpus sentences have none. */
  noteStyle?: boolean;
}

export type EntityType = 'disease' | 'treatment';

/** What kind of disease or treatment: a disease is a diagnosis or a symptom, a treatment a drug or a procedure. */
export type EntityKind = 'diagnosis' | 'symptom' | 'drug' | 'procedure';
export const ENTITY_KINDS: Readonly<Record<EntityType, readonly EntityKind[]>> = { disease: ['diagnosis', 'symptom'], treatment: ['drug', 'procedure'] };

/** Whether the note asserts the entity of the patient now (ConText's categories; see assertion.ts). */
export type Assertion = 'present' | 'absent' | 'possible' | 'historical' | 'family';
export const ASSERTIONS: readonly Assertion[] = ['present', 'absent', 'possible', 'historical', 'family'];

/** A concept a name stands for in a coding system, and how well the name matches it (0–1). */
export interface ConceptCode {
  system: 'ICD-10-CM' | 'DOID' | 'DrugBank';
  code: string;
  display: string;
  score: number;
}

/** A FHIR R4 Quantity (and Duration): a value and its UCUM unit. */
export interface Quantity {
  value: number;
  unit: string;
}

/**
 * How a drug is to be taken, as FHIR R4's Dosage names it; a field the note does not state is absent. `text`
 * is the note's words for it (`note.slice(start, end)`), the drug's name included.
 */
export interface Dosage {
  text: string;
  start: number;
  end: number;
  doseQuantity?: Quantity;
  timing?: { frequency: number; period: number; periodUnit: 'min' | 'h' | 'd' | 'wk' | 'mo'; when?: string[] };
  boundsDuration?: Quantity;
  asNeeded?: boolean;
  route?: string;
  form?: string;
}

export interface Entity {
  type: EntityType;
  /** diagnosis or symptom (a disease), drug or procedure (a treatment); absent when the model has no kind classifier. */
  kind?: EntityKind;
  text: string;
  start: number;
  end: number;
  /** Whether the note asserts it of the patient now (negation, uncertainty, history, family: assertion.ts). */
  assertion: Assertion;
  /** Calibrated probability that this exact span is right (3 decimals). */
  confidence: number;
  /** The concepts it names, best first (ICD-10-CM and DOID for a disease, DrugBank for a drug). */
  codes?: ConceptCode[];
  /** A drug's active ingredients (a brand's generic names). */
  generic?: string[];
  /** A drug's dosage, when the note states any of it. */
  dosage?: Dosage;
}

/** What a record step reads of the note: its text, its sentences, and whether it is written in note style, when known. */
export interface EnrichedNote {
  text: string;
  sentences: readonly Sentence[];
  noteStyle?: boolean;
}

export interface Pair {
  disease: string;
  treatment: string;
  /** Why they are paired: where the note names them together (e.g. same-sentence, same-line, dx-rx-sections). */
  evidence?: string;
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
