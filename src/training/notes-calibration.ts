import type { CrfNerModel } from '../core/crf-ner-model.js';
import { isNoteStyleText } from '../core/clinical/note-lexicon.js';
import { tagScoredSpans } from '../core/extract.js';
import { crossFittedReliability, fitIsotonic, reliabilityTable, type ConfidenceObservation } from '../core/tagger/calibration.js';
import { splitSentences } from '../core/text/tokenizer.js';
import type { EntityType } from '../core/text/types.js';
import type { CardNotesCalibration } from '../registry/model-card.js';

/**
 * Confidence calibration for notes as the product tags them. The cross-validation map is fitted on the base
 * corpus's sentences under its own policy; notes are routed to the every-mention domains, whose spans are right
 * at other rates, and the note-style lexicon pass adds spans the CRF did not choose. So both are fitted on
 * held-out documents (the every-mention corpora's dev splits, the project's own annotated notes among them),
 * tagged by the final model before any calibration, each span's raw probability against whether a gold
 * entity has exactly its type and offsets.
 */

export interface CalibrationDocument {
  id: string;
  text: string;
  entities: readonly { type: EntityType; start: number; end: number }[];
  /** Spans nobody scores (a corpus's unannotated types): predictions overlapping one are left out. */
  unscored?: readonly { start: number; end: number }[];
}

export interface NotesObservations {
  spans: ConfidenceObservation[];
  lexiconSpans: ConfidenceObservation[];
}

const TYPE = { D: 'disease', T: 'treatment' } as const;

/** Each span the model (uncalibrated) finds in the document, routed as notes are, and whether it is gold. */
export function notesObservations(model: CrfNerModel, document: CalibrationDocument): NotesObservations {
  const gold = new Set(document.entities.map((e) => `${e.type}:${e.start}:${e.end}`));
  const sentences = splitSentences(document.text);
  const sentenceWords = sentences.map((s) => s.tokens.map((t) => t.text));
  const tagger = model.forNote?.(document.text, sentenceWords) ?? model;
  const context = { ...(tagger.noteLexicon ? { noteStyle: isNoteStyleText(sentenceWords) } : {}), everyLexiconSpan: true };
  const found: NotesObservations = { spans: [], lexiconSpans: [] };
  sentences.forEach((sentence, s) => {
    for (const span of tagScoredSpans(tagger, sentenceWords[s] as string[], context)) {
      const start = (sentence.tokens[span.start] as { start: number }).start;
      const end = (sentence.tokens[span.end - 1] as { end: number }).end;
      if (document.unscored?.some((u) => u.start < end && start < u.end)) continue;
      const observation = { confidence: span.confidence, correct: gold.has(`${TYPE[span.type]}:${start}:${end}`) };
      (span.fromLexicon ? found.lexiconSpans : found.spans).push(observation);
    }
  });
  return found;
}

/** The two maps and how reliable each is: raw, and calibrated with a map fitted on the other half of the documents. */
export function fitNotesCalibration(model: CrfNerModel, documents: readonly CalibrationDocument[]): CardNotesCalibration {
  const halves: NotesObservations[] = [{ spans: [], lexiconSpans: [] }, { spans: [], lexiconSpans: [] }];
  documents.forEach((document, d) => {
    const found = notesObservations(model, document);
    const half = halves[d % 2] as NotesObservations;
    half.spans.push(...found.spans);
    half.lexiconSpans.push(...found.lexiconSpans);
  });
  const judged = (pick: (o: NotesObservations) => ConfidenceObservation[]) => {
    const byHalf = halves.map(pick);
    return { map: fitIsotonic(byHalf.flat()), reliability: { raw: reliabilityTable(byHalf.flat()), calibrated: crossFittedReliability(byHalf) } };
  };
  const spans = judged((o) => o.spans);
  const lexiconSpans = judged((o) => o.lexiconSpans);
  return {
    spans: spans.map,
    lexiconSpans: lexiconSpans.map,
    documents: documents.length,
    reliability: { spans: spans.reliability, lexiconSpans: lexiconSpans.reliability },
  };
}
