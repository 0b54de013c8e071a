import { NerError } from '../../errors.js';
import type { TokenSpan } from '../tagger/label-codec.js';

/**
 * Span repairs applied after decoding, in a declared order: the annotation conventions of the corpus that a
 * first-order CRF breaks now and then. In the train split's 2,406 gold spans no parenthesis is left
 * unmatched, no span starts or ends with punctuation or a conjunction, and a parenthesised abbreviation right
 * after an entity belongs to it 76 times out of 80 (the other 4 are not abbreviations).
 * Each rule keeps spans ordered and non-overlapping.
 */
export interface SpanRule {
  name: string;
  description: string;
  apply(tokens: readonly string[], spans: readonly TokenSpan[]): TokenSpan[];
}

const EDGE_WORDS = new Set([',', ';', ':', '.', 'and', 'or', 'with', 'of', 'in', 'for', '(', '-', '/']);

function isFree(spans: readonly TokenSpan[], self: number, start: number, end: number): boolean {
  return spans.every((s, i) => i === self || s.end <= start || s.start >= end);
}

function depth(tokens: readonly string[], span: TokenSpan): number {
  let open = 0;
  for (let i = span.start; i < span.end; i++) {
    if (tokens[i] === '(') open++;
    else if (tokens[i] === ')') open--;
  }
  return open;
}

const RULES: readonly SpanRule[] = [
  {
    name: 'abbreviation-after',
    description: 'extend a span over a following "( ABBR )", e.g. multiple sclerosis ( MS )',
    apply: (tokens, spans) =>
      spans.map((span, i) => {
        const inside = tokens[span.end + 1];
        const isAbbreviation = inside !== undefined && /^[A-Z][A-Za-z0-9-]*[A-Z0-9]/.test(inside) && inside.length <= 12;
        if (tokens[span.end] === '(' && tokens[span.end + 2] === ')' && isAbbreviation && isFree(spans, i, span.end, span.end + 3)) {
          return { ...span, end: span.end + 3 };
        }
        return span;
      }),
  },
  {
    name: 'balance-parentheses',
    description: 'close an open parenthesis by taking the ")" that follows, or else cut the span before it',
    apply: (tokens, spans) =>
      spans.map((span, i) => {
        let fixed = { ...span };
        while (depth(tokens, fixed) > 0 && tokens[fixed.end] === ')' && isFree(spans, i, fixed.end, fixed.end + 1)) fixed.end++;
        while (depth(tokens, fixed) > 0 && fixed.end > fixed.start) {
          const lastOpen = tokens.lastIndexOf('(', fixed.end - 1);
          fixed = { ...fixed, end: Math.max(fixed.start, lastOpen) };
        }
        while (depth(tokens, fixed) < 0 && fixed.start < fixed.end && tokens[fixed.start] === ')') fixed.start++;
        return fixed;
      }),
  },
  {
    name: 'trim-edge-words',
    description: 'drop punctuation and conjunctions at either end of a span (and spans left empty)',
    apply: (tokens, spans) =>
      spans.map((span) => {
        const fixed = { ...span };
        while (fixed.start < fixed.end && EDGE_WORDS.has((tokens[fixed.start] as string).toLowerCase())) fixed.start++;
        while (fixed.end > fixed.start && EDGE_WORDS.has((tokens[fixed.end - 1] as string).toLowerCase())) fixed.end--;
        return fixed;
      }),
  },
];

/** Every rule this code has, in the order they run. */
export const SPAN_RULE_LIBRARY: readonly SpanRule[] = RULES;
export const DEFAULT_SPAN_RULES: readonly string[] = RULES.map((r) => r.name);

export function resolveSpanRules(names: readonly string[]): SpanRule[] {
  const missing = names.filter((name) => !RULES.some((r) => r.name === name));
  if (missing.length > 0) {
    throw new NerError('NER_ERR_MODEL_TEMPLATES', `unknown span rule(s): ${missing.join(', ')}; this code has: ${RULES.map((r) => r.name).join(', ')}`);
  }
  return RULES.filter((rule) => names.includes(rule.name));
}

export function applySpanRules(rules: readonly SpanRule[], tokens: readonly string[], spans: readonly TokenSpan[]): TokenSpan[] {
  let current = [...spans];
  for (const rule of rules) current = rule.apply(tokens, current).filter((span) => span.end > span.start);
  return current;
}
