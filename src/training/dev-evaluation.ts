import type { CrfNerModel } from '../core/crf-ner-model.js';
import { scoreDocuments, type DocumentReport } from '../core/evaluation/document-scores.js';
import { extract } from '../core/extract.js';
import type { EntityKind } from '../core/text/types.js';
import type { CorpusDocument } from '../corpus/annotated-corpus.js';
import type { CorpusMapping } from '../corpus/corpus-mapping.js';

/** The dev documents of a corpus, scored as its mapping says, under its own domain or as the product routes them. */
export interface DevSet {
  corpus: string;
  domain: string;
  documents: Pick<CorpusDocument, 'id' | 'text' | 'entities' | 'unscored'>[];
  unscoredKinds: EntityKind[];
}

export function devSetOf(mapping: CorpusMapping, documents: readonly CorpusDocument[]): DevSet {
  return {
    corpus: mapping.name,
    domain: mapping.domain,
    documents: documents.map(({ id, text, entities, unscored }) => ({ id, text, entities, unscored })),
    unscoredKinds: mapping.scoring.unscoredKinds ?? [],
  };
}

/**
 * Every document extracted as the product extracts a note (tagging, span rules, assertion, kinds), with the
 * corpus's own domain's weights, or, `routed`, with the domain the model's router picks for each note.
 */
export function evaluateDevSet(model: CrfNerModel, set: DevSet, options: { routed?: boolean } = {}): DocumentReport {
  const tagger = options.routed ? model : model.forDomain(set.domain);
  return scoreDocuments(
    set.documents.map((document) => ({
      id: document.id,
      text: document.text,
      gold: document.entities,
      predicted: extract(document.text, tagger).entities,
      unscored: document.unscored,
    })),
    { unscoredKinds: set.unscoredKinds },
  );
}
