import { NerError } from '../../errors.js';
import type { CorpusLabel } from '../text/types.js';

/** How a CRF's tags encode corpus labels: IO keeps D/T/O, BIO marks the first token of each entity. */
export type LabelEncoding = 'IO' | 'BIO';
export const LABEL_ENCODINGS: readonly LabelEncoding[] = ['IO', 'BIO'];

export type SpanType = 'D' | 'T';

/** An entity as token indices of one sentence; `end` is exclusive. */
export interface TokenSpan {
  type: SpanType;
  start: number;
  end: number;
}

const BIO_TAGS: ReadonlySet<string> = new Set(['O', 'B-D', 'I-D', 'B-T', 'I-T']);

/** Tags for a CRF: IO returns the labels unchanged; BIO starts each maximal run with B-. */
export function encodeLabels(labels: CorpusLabel[], encoding: LabelEncoding): string[] {
  if (encoding === 'IO') return [...labels];
  return labels.map((label, i) => {
    if (label === 'O') return 'O';
    return labels[i - 1] === label ? `I-${label}` : `B-${label}`;
  });
}

/**
 * Tags for a sentence whose entities are given as spans (adjacent entities stay apart under BIO); tokens
 * outside every span are O.
 */
export function encodeSpans(length: number, spans: readonly TokenSpan[], encoding: LabelEncoding): string[] {
  const tags = new Array<string>(length).fill('O');
  for (const span of spans) {
    for (let i = span.start; i < span.end; i++) tags[i] = encoding === 'IO' ? span.type : `${i === span.start ? 'B' : 'I'}-${span.type}`;
  }
  return tags;
}

/** Corpus labels from tags; a BIO I- without a preceding B- is accepted. */
export function decodeLabels(tags: string[], encoding: LabelEncoding): CorpusLabel[] {
  return tags.map((tag) => parseTag(tag, encoding).label);
}

/** Maximal runs of one non-O label (the corpus's notion of a gold span). */
export function spansFromCorpusLabels(labels: CorpusLabel[]): TokenSpan[] {
  return spansFromTags(labels, 'IO');
}

/**
 * Spans from tags. BIO: a B- always starts a new span (so adjacent same-type entities stay apart),
 * an I- continues a span of its type or else starts one. IO: maximal runs of one label.
 */
export function spansFromTags(tags: string[], encoding: LabelEncoding): TokenSpan[] {
  const spans: TokenSpan[] = [];
  let current: TokenSpan | undefined;
  tags.forEach((tag, i) => {
    const { label, begins } = parseTag(tag, encoding);
    if (label === 'O') {
      current = undefined;
    } else if (current && current.type === label && !begins) {
      current.end = i + 1;
    } else {
      current = { type: label, start: i, end: i + 1 };
      spans.push(current);
    }
  });
  return spans;
}

/** Corpus labels of a sentence of `length` tokens holding `spans` (which must be in range and disjoint). */
export function labelsFromSpans(length: number, spans: TokenSpan[]): CorpusLabel[] {
  assertValidSpans(spans, length);
  const labels: CorpusLabel[] = new Array<CorpusLabel>(length).fill('O');
  for (const span of spans) labels.fill(span.type, span.start, span.end);
  return labels;
}

/** Throws NER_ERR_INPUT_INVALID unless every span is a non-empty integer range in [0, length) and none overlap. */
export function assertValidSpans(spans: TokenSpan[], length: number): void {
  for (const span of spans) {
    const ok = Number.isInteger(span.start) && Number.isInteger(span.end) && span.start >= 0 && span.start < span.end && span.end <= length;
    if (!ok || (span.type !== 'D' && span.type !== 'T')) {
      throw new NerError('NER_ERR_INPUT_INVALID', `invalid span ${JSON.stringify(span)} for a sentence of ${length} tokens`);
    }
  }
  const sorted = sortSpans(spans);
  sorted.forEach((span, i) => {
    const previous = sorted[i - 1];
    if (previous && previous.end > span.start) {
      throw new NerError('NER_ERR_INPUT_INVALID', `overlapping spans ${JSON.stringify(previous)} and ${JSON.stringify(span)}`);
    }
  });
}

/** A copy of `spans` ordered by start, then end. */
export function sortSpans(spans: TokenSpan[]): TokenSpan[] {
  return [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
}

function parseTag(tag: string, encoding: LabelEncoding): { label: CorpusLabel; begins: boolean } {
  if (encoding === 'IO') {
    if (tag === 'D' || tag === 'T' || tag === 'O') return { label: tag, begins: false };
  } else if (BIO_TAGS.has(tag)) {
    return { label: (tag === 'O' ? 'O' : tag.slice(2)) as CorpusLabel, begins: tag.startsWith('B-') };
  }
  throw new NerError('NER_ERR_CORPUS_UNKNOWN_LABEL', `tag ${JSON.stringify(tag)} is not valid in the ${encoding} encoding`);
}
