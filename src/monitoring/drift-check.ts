import { compareDrift, DriftObserver, type DriftResult, type DriftThresholds, type TrainingProfile } from '../core/evaluation/drift.js';
import { extract, tagSpans, type SequenceTagger } from '../core/extract.js';
import type { ExtractionRecord } from '../core/text/types.js';
import { NerError } from '../errors.js';
import type { ModelCard } from '../registry/model-card.js';

/**
 * Drift checks on real notes, for the nightly run and `behealthy drift`: the notes (and what the model
 * extracted from them) against the training profile in the model's card (see core/evaluation/drift.ts). Counts only:
 * nothing here keeps, logs or returns note text or the words of a note.
 */

/** A note to check: its text, and the record already extracted from it when the caller has one. */
export type DriftNote = string | { text: string; record?: ExtractionRecord };

/** The training profile of a model card, or NER_ERR_DRIFT_NO_PROFILE saying how to add one. */
export function trainingProfileOf(card: ModelCard): TrainingProfile {
  if (!card.trainingProfile) {
    throw new NerError(
      'NER_ERR_DRIFT_NO_PROFILE',
      `model ${card.version} has no training profile in its card, so there is nothing to compare notes with; ` +
        `add one without retraining: node --import tsx scripts/backfill-model-card.ts ${card.version}`,
    );
  }
  return card.trainingProfile;
}

/**
 * A sample of notes, accumulated one at a time (a day's notes need not be held in memory). A record is
 * reused only when this model extracted it (same version); otherwise the note is extracted again, so the
 * predictions compared are always the profiled model's.
 */
export class NoteDriftSample {
  readonly observer = new DriftObserver();
  notes = 0;

  constructor(private readonly model: SequenceTagger) {}

  add(note: DriftNote): void {
    const text = typeof note === 'string' ? note : note.text;
    const given = typeof note === 'string' ? undefined : note.record;
    const record = given && given.modelVersion === this.model.version ? given : extract(text, this.model);
    this.observer.addNote(text, record.entities);
    this.notes += 1;
  }

  /** An already tokenized sentence (a corpus split), tagged here. */
  addSentence(tokens: readonly string[]): void {
    this.observer.addSentence(tokens, tagSpans(this.model, tokens));
  }

  compare(profile: TrainingProfile, thresholds: DriftThresholds): DriftResult {
    return compareDrift(profile, this.observer, thresholds);
  }
}

/**
 * The drift of a set of notes from the training data: what the nightly run calls with the day's notes (and
 * their records, so nothing is extracted twice). `profile` is the model card's (trainingProfileOf(card)).
 */
export function driftOfNotes(model: SequenceTagger, profile: TrainingProfile, notes: Iterable<DriftNote>, thresholds: DriftThresholds): DriftResult {
  const sample = new NoteDriftSample(model);
  for (const note of notes) sample.add(note);
  return sample.compare(profile, thresholds);
}

/** The notes with the records extracted from them, matched by note id, as driftOfNotes takes them (the nightly run's day). */
export function notesWithRecords(notes: readonly { id: string; text: string }[], records: readonly ExtractionRecord[]): DriftNote[] {
  const byId = new Map(records.flatMap((record) => (record.noteId === undefined ? [] : [[record.noteId, record] as const])));
  return notes.map((note) => {
    const record = byId.get(note.id);
    return record ? { text: note.text, record } : note.text;
  });
}
