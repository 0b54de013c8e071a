import { splitSentences } from './tokenizer.js';
import type { CorpusLabel, EntityType, LabeledSentence } from './types.js';

/** An entity given by offsets into its note (UTF-16, end exclusive): reviewers' corrections, hand annotations. */
export interface OffsetEntity {
  type: EntityType;
  start: number;
  end: number;
}

const LABEL: Record<EntityType, CorpusLabel> = { disease: 'D', treatment: 'T' };

export interface LabelingOptions {
  /**
   * A token an entity covers only in part ("asthma" in "asthma-like"): `any` labels it (as the corpus's token-level
   * labels would), `majority` only when the entity covers at least half of its characters (a chemical inside
   * "lithium-induced" is then not an entity of that sentence). Default `any`.
   */
  partialTokens?: 'any' | 'majority';
  /** Also give each sentence its entities as token spans (`spans`), so adjacent entities stay apart. */
  withSpans?: boolean;
}

/**
 * A text annotated by offsets, as training sentences in the corpus's shape: the tokenizer's sentences, each token
 * labelled D or T when an entity of that type covers it (see `partialTokens`) and O otherwise. Entities must
 * not overlap.
 */
export function labeledSentencesOf(text: string, entities: readonly OffsetEntity[], options: LabelingOptions = {}): LabeledSentence[] {
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  const majority = options.partialTokens === 'majority';
  return splitSentences(text).map((sentence) => {
    let e = 0;
    const owner: number[] = [];
    const labels = sentence.tokens.map((token): CorpusLabel => {
      while (e < sorted.length && (sorted[e] as OffsetEntity).end <= token.start) e++;
      // With majority, a token may be covered by the entity after the one ending inside it.
      for (let k = e; k < sorted.length && (sorted[k] as OffsetEntity).start < token.end; k++) {
        const entity = sorted[k] as OffsetEntity;
        const covered = Math.min(entity.end, token.end) - Math.max(entity.start, token.start);
        if (!majority || covered * 2 >= token.end - token.start) {
          owner.push(k);
          return LABEL[entity.type];
        }
      }
      owner.push(-1);
      return 'O';
    });
    const labeled: LabeledSentence = { tokens: sentence.tokens.map((t) => t.text), labels };
    if (options.withSpans) {
      const spans: NonNullable<LabeledSentence['spans']> = [];
      owner.forEach((k, i) => {
        if (k < 0) return;
        const last = spans[spans.length - 1];
        if (last && last.end === i && owner[i - 1] === k) last.end = i + 1;
        else spans.push({ type: labels[i] as 'D' | 'T', start: i, end: i + 1 });
      });
      labeled.spans = spans;
    }
    return labeled;
  });
}
