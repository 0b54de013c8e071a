import { splitSentences } from './tokenizer.js';
import type { CorpusLabel, EntityType, LabeledSentence } from './types.js';

/** An entity given by offsets into its note (UTF-16, end exclusive): reviewers' corrections, hand annotations. */
export interface OffsetEntity {
  type: EntityType;
  start: number;
  end: number;
}

const LABEL: Record<EntityType, CorpusLabel> = { disease: 'D', treatment: 'T' };

/**
 * A note annotated by offsets, as training sentences in the corpus's shape: the tokenizer's sentences, each
 * token labelled D or T when it overlaps an entity of that type and O otherwise. A span that cuts a token
 * ("asthma" in "asthma-like") labels the whole token, as the corpus's token-level labels would.
 */
export function labeledSentencesOf(text: string, entities: readonly OffsetEntity[]): LabeledSentence[] {
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  return splitSentences(text).map((sentence) => {
    let e = 0;
    const labels = sentence.tokens.map((token): CorpusLabel => {
      while (e < sorted.length && (sorted[e] as OffsetEntity).end <= token.start) e++;
      const entity = sorted[e];
      return entity && entity.start < token.end ? LABEL[entity.type] : 'O';
    });
    return { tokens: sentence.tokens.map((t) => t.text), labels };
  });
}
