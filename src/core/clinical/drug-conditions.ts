import type { TokenSpan } from '../tagger/label-codec.js';

/**
 * A nutrient's or drug's name followed by "deficiency" names a disease, not a treatment: "vitamin D deficiency",
 * "folic acid deficiency", "iron deficiency". The CRF and the vocabulary pass find the name in it; this step makes
 * the whole a disease span (a disease span that started at "deficiency" is part of it). Toxicity, overdose,
 * abuse and withdrawal are left as decoded: the corpora split them ("lithium carbonate" beside "toxicity" in
 * BC5CDR; joined, BC5CDR dev disease F1 read 0.778 against 0.784), and an allergy or intolerance names a drug
 * the patient cannot take, which Chia annotates apart.
 */
const CONDITION_WORDS: ReadonlySet<string> = new Set(['deficiency', 'deficient', 'deficiencies']);

/** The spans with each drug-and-condition-word as one disease span; `rescored` gives a reshaped span its confidence. */
export function withDrugConditions<S extends TokenSpan>(words: readonly string[], spans: readonly S[], rescored: (span: TokenSpan) => S): readonly S[] {
  if (!spans.some((span) => isDrugCondition(words, span))) return spans;
  const result: S[] = [];
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as S;
    if (!isDrugCondition(words, span)) {
      result.push(span);
      continue;
    }
    const next = spans[i + 1];
    const end = next && next.type === 'D' && next.start === span.end ? Math.max(next.end, span.end + 1) : span.end + 1;
    result.push(rescored({ type: 'D', start: span.start, end }));
    // Spans the new one covers are part of it.
    while (i + 1 < spans.length && (spans[i + 1] as S).start < end) i++;
  }
  return result;
}

function isDrugCondition(words: readonly string[], span: TokenSpan): boolean {
  return span.type === 'T' && span.end < words.length && CONDITION_WORDS.has((words[span.end] as string).toLowerCase());
}
