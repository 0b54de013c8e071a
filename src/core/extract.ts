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

/** Tokenizes, tags and decodes each sentence of a note into entities with character offsets. */
export function tagSentences(text: string, model: SequenceTagger): SentenceEntities[] {
  return splitSentences(text).map((sentence) => {
    const words = sentence.tokens.map((t) => t.text);
    const spans = tagSpans(model, words);
    const entities = spans.map((span): Entity => {
      const start = (sentence.tokens[span.start] as { start: number }).start;
      const end = (sentence.tokens[span.end - 1] as { end: number }).end;
      return { type: ENTITY_TYPE[span.type], text: text.slice(start, end), start, end };
    });
    return { sentence, entities };
  });
}

/** The one extraction every entry point calls: note text → structured record. */
export function extract(text: string, model: SequenceTagger, noteId?: string): ExtractionRecord {
  const bySentence = tagSentences(text, model);
  const entities = bySentence.flatMap((s) => s.entities);
  return {
    ...(noteId === undefined ? {} : { noteId }),
    modelVersion: model.version,
    diseases: entities.filter((e) => e.type === 'disease'),
    treatments: entities.filter((e) => e.type === 'treatment'),
    pairs: pairsBySentence(bySentence.map((s) => s.entities)),
    entities,
  };
}
