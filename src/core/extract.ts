import { spansFromTags, type LabelEncoding, type TokenSpan } from './label-codec.js';
import { pairsBySentence } from './relations.js';
import { applySpanRules, type SpanRule } from './span-rules.js';
import { splitSentences } from './tokenizer.js';
import type { Entity, EntityType, ExtractionRecord, Sentence } from './types.js';

/** What extract() needs of a model: its version and a tagger over the words of one sentence. */
export interface SequenceTagger {
  readonly version: string;
  readonly labelEncoding: LabelEncoding;
  /** One tag per word, in the model's encoding; must not throw for any list of non-empty words. */
  tag(words: readonly string[]): string[];
  /** Repairs applied to the decoded spans, in order (see span-rules.ts). */
  readonly spanRules: readonly SpanRule[];
}

/** The entity spans of one sentence: tags decoded, then the model's span rules applied. */
export function tagSpans(model: SequenceTagger, words: readonly string[]): TokenSpan[] {
  return applySpanRules(model.spanRules, words, spansFromTags(model.tag(words), model.labelEncoding));
}

const ENTITY_TYPE: Record<TokenSpan['type'], EntityType> = { D: 'disease', T: 'treatment' };

export interface SentenceEntities {
  sentence: Sentence;
  entities: Entity[];
}

function sentenceEntities(text: string, sentence: Sentence, model: SequenceTagger): Entity[] {
  const words = sentence.tokens.map((t) => t.text);
  return tagSpans(model, words).map((span): Entity => {
    const start = (sentence.tokens[span.start] as { start: number }).start;
    const end = (sentence.tokens[span.end - 1] as { end: number }).end;
    return { type: ENTITY_TYPE[span.type], text: text.slice(start, end), start, end };
  });
}

/** Tokenizes, tags and decodes each sentence of a note into entities with character offsets. */
export function tagSentences(text: string, model: SequenceTagger): SentenceEntities[] {
  return splitSentences(text).map((sentence) => ({ sentence, entities: sentenceEntities(text, sentence, model) }));
}

export interface ExtractionOutcome {
  record: ExtractionRecord;
  /** Tokens tagged, for throughput metrics. */
  tokens: number;
}

/**
 * extract() in steps: yields after every `tokensPerStep` tokens tagged, so a caller serving other requests
 * can give the event loop a turn in the middle of a very long note (see Extractor). Pure: the caller decides
 * what to do between steps.
 */
export function* extractInSteps(
  text: string,
  model: SequenceTagger,
  options: { noteId?: string; tokensPerStep?: number } = {},
): Generator<void, ExtractionOutcome> {
  const tokensPerStep = options.tokensPerStep ?? Infinity;
  const entitiesBySentence: Entity[][] = [];
  let tokens = 0;
  let sinceStep = 0;
  for (const sentence of splitSentences(text)) {
    if (sinceStep >= tokensPerStep) {
      sinceStep = 0;
      yield;
    }
    entitiesBySentence.push(sentenceEntities(text, sentence, model));
    tokens += sentence.tokens.length;
    sinceStep += sentence.tokens.length;
  }
  const entities = entitiesBySentence.flat();
  const record: ExtractionRecord = {
    ...(options.noteId === undefined ? {} : { noteId: options.noteId }),
    modelVersion: model.version,
    diseases: entities.filter((e) => e.type === 'disease'),
    treatments: entities.filter((e) => e.type === 'treatment'),
    pairs: pairsBySentence(entitiesBySentence),
    entities,
  };
  return { record, tokens };
}

/** Runs extractInSteps to the end without pausing. */
export function extractOutcome(text: string, model: SequenceTagger, noteId?: string): ExtractionOutcome {
  const steps = extractInSteps(text, model, noteId === undefined ? {} : { noteId });
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The one extraction every entry point calls: note text → structured record. */
export function extract(text: string, model: SequenceTagger, noteId?: string): ExtractionRecord {
  return extractOutcome(text, model, noteId).record;
}
