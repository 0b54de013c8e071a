import { spansFromCorpusLabels, type SpanType, type TokenSpan } from '../core/tagger/label-codec.js';
import type { CorpusLabel, LabeledSentence } from '../core/text/types.js';
import { NerError } from '../errors.js';
import {
  checkToken,
  readCorpusFile,
  splitLines,
  validateLabeledSentence,
  type CorpusFileHash,
} from './behealthy-format.js';

export type EntityLabel = SpanType;

export interface ConllCorpus {
  sentences: LabeledSentence[];
  /** Per sentence, its gold spans in order; keeps adjacent same-type entities apart. */
  spans: TokenSpan[][];
}

/** Maps the entity type of a `B-`/`I-` tag to a corpus label. */
export type ConllTypeMap = Readonly<Record<string, EntityLabel>>;

export const DEFAULT_CONLL_TYPE_MAP: ConllTypeMap = {
  D: 'D',
  DISEASE: 'D',
  disease: 'D',
  T: 'T',
  TREATMENT: 'T',
  treatment: 'T',
};

const CONLL_LAYOUT = 'expected a CoNLL/IOB file: token<TAB>tag per line, a blank line between sentences';

interface Tag {
  prefix: 'B' | 'I' | 'O';
  label: CorpusLabel;
}

interface Location {
  file: string;
  line: number;
}

/** Parses CoNLL/IOB text (IOB2 or IOB1) into labelled sentences and their gold spans. */
export function parseConll(text: string, file: string, typeMap: ConllTypeMap = DEFAULT_CONLL_TYPE_MAP): ConllCorpus {
  const corpus: ConllCorpus = { sentences: [], spans: [] };
  let builder = new SentenceBuilder();
  splitLines(text).forEach((raw, index) => {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('-DOCSTART-')) {
      builder.flushInto(corpus);
      builder = new SentenceBuilder();
      return;
    }
    const at = { file, line: index + 1 };
    const { token, tag } = splitConllLine(line, at);
    builder.add(checkToken(token, at), parseTag(tag, typeMap, at));
  });
  builder.flushInto(corpus);
  if (corpus.sentences.length === 0) {
    throw new NerError('NER_ERR_CORPUS_EMPTY', 'CoNLL file holds no sentence', { file, line: 1 });
  }
  return corpus;
}

/** Reads a CoNLL/IOB file and the sha256 of its bytes. */
export async function readConll(
  path: string,
  typeMap: ConllTypeMap = DEFAULT_CONLL_TYPE_MAP,
): Promise<ConllCorpus & { files: CorpusFileHash[] }> {
  const { text, hash } = await readCorpusFile(path, CONLL_LAYOUT);
  return { ...parseConll(text, path, typeMap), files: [hash] };
}

/**
 * Writes sentences as CoNLL with IOB2 tags (`B-D`, `I-D`, `B-T`, `I-T`, `O`). Without `spans`, each
 * maximal run of one label is one entity; pass the spans `parseConll` returned to keep adjacent
 * same-type entities apart.
 */
export function formatConll(sentences: LabeledSentence[], spans?: TokenSpan[][]): string {
  sentences.forEach(validateLabeledSentence);
  if (spans !== undefined && spans.length !== sentences.length) {
    throw new NerError('NER_ERR_INPUT_INVALID', `${spans.length} span lists given for ${sentences.length} sentences`);
  }
  const blocks = sentences.map((sentence, index) => {
    const tags = tagsFromSpans(sentence, spans?.[index] ?? spansFromCorpusLabels(sentence.labels), index);
    return sentence.tokens.map((token, tokenIndex) => `${token}\t${tags[tokenIndex]}`).join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

class SentenceBuilder {
  private readonly sentence: LabeledSentence = { tokens: [], labels: [] };
  private readonly spans: TokenSpan[] = [];

  add(token: string, tag: Tag): void {
    const index = this.sentence.tokens.length;
    this.sentence.tokens.push(token);
    this.sentence.labels.push(tag.label);
    if (tag.label === 'O') return;
    const open = this.spans[this.spans.length - 1];
    // IOB1 lets `I-` start a span; only `B-` splits two adjacent spans of one type.
    if (tag.prefix === 'I' && open !== undefined && open.type === tag.label && open.end === index) {
      open.end = index + 1;
    } else {
      this.spans.push({ type: tag.label, start: index, end: index + 1 });
    }
  }

  flushInto(corpus: ConllCorpus): void {
    if (this.sentence.tokens.length === 0) return;
    corpus.sentences.push(this.sentence);
    corpus.spans.push(this.spans);
  }
}

function splitConllLine(line: string, at: Location): { token: string; tag: string } {
  const fields = line.includes('\t') ? line.split('\t') : line.split(' ');
  const [token, tag] = fields;
  if (fields.length === 2 && token !== undefined && tag !== undefined && tag !== '') return { token, tag };
  const problem =
    fields.length === 1 ? 'line has no tag' : `line has ${fields.length} fields (or an empty tag)`;
  throw new NerError('NER_ERR_CORPUS_BAD_LINE', `${problem}: ${JSON.stringify(line)}; ${CONLL_LAYOUT}`, at);
}

function parseTag(tag: string, typeMap: ConllTypeMap, at: Location): Tag {
  if (tag === 'O') return { prefix: 'O', label: 'O' };
  const match = /^([BI])-(\S+)$/u.exec(tag);
  if (match === null) {
    throw new NerError(
      'NER_ERR_CORPUS_UNKNOWN_LABEL',
      `malformed tag ${JSON.stringify(tag)}; allowed tags: O, B-<type>, I-<type>`,
      at,
    );
  }
  const prefix = match[1] === 'B' ? 'B' : 'I';
  const type = match[2] ?? '';
  if (!Object.hasOwn(typeMap, type)) {
    throw new NerError(
      'NER_ERR_CORPUS_UNKNOWN_LABEL',
      `entity type ${JSON.stringify(type)} of tag ${JSON.stringify(tag)} is not mapped to a corpus label; ` +
        `known types: ${Object.keys(typeMap).join(', ')}`,
      at,
    );
  }
  return { prefix, label: typeMap[type] as EntityLabel };
}

function tagsFromSpans(sentence: LabeledSentence, spans: readonly TokenSpan[], index: number): string[] {
  const tags = sentence.labels.map(() => 'O');
  for (const span of spans) {
    if (span.start >= span.end) {
      throw new NerError('NER_ERR_INPUT_INVALID', `sentence ${index + 1}: span [${span.start}, ${span.end}) is empty`);
    }
    for (let token = span.start; token < span.end; token++) {
      if (sentence.labels[token] !== span.type || tags[token] !== 'O') {
        throw new NerError(
          'NER_ERR_INPUT_INVALID',
          `sentence ${index + 1}: span ${span.type} [${span.start}, ${span.end}) does not match its labels ` +
            'or overlaps another span',
        );
      }
      tags[token] = `${token === span.start ? 'B' : 'I'}-${span.type}`;
    }
  }
  const uncovered = sentence.labels.findIndex((label, token) => label !== 'O' && tags[token] === 'O');
  if (uncovered !== -1) {
    throw new NerError('NER_ERR_INPUT_INVALID', `sentence ${index + 1}: token ${uncovered + 1} is labelled but in no span`);
  }
  return tags;
}
