import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { labeledSentencesOf } from '../core/text/annotated-sentences.js';
import type { EntityKind, EntityType, LabeledSentence } from '../core/text/types.js';
import { PROJECT_ROOT } from '../config.js';
import { NerError } from '../errors.js';
import { readBeHealthySplit, readCorpusFile, splitLines, type CorpusFileHash } from './behealthy-format.js';
import type { CorpusMapping, CorpusSplit } from './corpus-mapping.js';

/** An entity of a corpus document, mapped to the product's types: UTF-16 offsets into the text, end exclusive. */
export interface CorpusEntity {
  type: EntityType;
  kind?: EntityKind;
  start: number;
  end: number;
  /** The corpus's own type name (e.g. Sign_symptom). */
  sourceType: string;
}

export interface CorpusDocument {
  id: string;
  text: string;
  /** The mapped entities, sorted by start, without overlaps (the mapping's overlap rule applied). */
  entities: CorpusEntity[];
  split: CorpusSplit;
  /** Spans of the source types the mapping does not score (scoring.unscoredTypes). */
  unscored: { start: number; end: number }[];
  /** Where it was read: for error lists. */
  file: string;
  line: number;
}

export interface AnnotatedCorpus {
  mapping: CorpusMapping;
  documents: CorpusDocument[];
  files: CorpusFileHash[];
}

interface Location {
  file: string;
  line: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(message: string, at: Location): never {
  throw new NerError('NER_ERR_CORPUS_BAD_LINE', message, at);
}

/**
 * Where a document of an unsplit file goes: a stable hash of the corpus name and the document's unit (its id,
 * or the key's first group, e.g. a trial's id for its inclusion and exclusion texts) against the dev share.
 */
export function splitOfDocument(mapping: CorpusMapping, id: string): 'train' | 'dev' {
  const split = mapping.split;
  if (!split) return 'train';
  const unit = split.by === 'key' && split.key ? (new RegExp(split.key).exec(id)?.[1] ?? id) : id;
  const digest = createHash('sha256').update(`${mapping.name}:${unit}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < split.devShare ? 'dev' : 'train';
}

/** Keeps the longest of overlapping entities (then the earlier), as the mapping's `overlaps: longest` says. */
export function withoutOverlaps<T extends { start: number; end: number }>(entities: readonly T[]): T[] {
  const byLength = [...entities].sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: T[] = [];
  for (const entity of byLength) {
    if (kept.every((k) => entity.end <= k.start || entity.start >= k.end)) kept.push(entity);
  }
  return kept.sort((a, b) => a.start - b.start);
}

function parseDocument(raw: string, mapping: CorpusMapping, split: CorpusSplit | 'all', at: Location): CorpusDocument {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    bad('not valid JSON (one document per line: {"id", "text", "entities"})', at);
  }
  if (!isRecord(value)) bad('a document must be a JSON object {"id", "text", "entities"}', at);
  const { id, text, entities } = value;
  if (typeof id !== 'string' || id === '') bad('"id" must be a non-empty string', at);
  if (typeof text !== 'string') bad(`document ${id}: "text" must be a string`, at);
  if (!Array.isArray(entities)) bad(`document ${id}: "entities" must be an array`, at);
  const mapped: CorpusEntity[] = [];
  const unscored: { start: number; end: number }[] = [];
  const unscoredTypes = mapping.scoring.unscoredTypes ?? [];
  entities.forEach((entity: unknown, index) => {
    const where = `document ${id}, entities[${index}]`;
    if (!isRecord(entity) || typeof entity.type !== 'string') bad(`${where}: must be an object with a string "type"`, at);
    const { type, start, end } = entity;
    if (!Number.isInteger(start) || !Number.isInteger(end) || (start as number) < 0 || (start as number) >= (end as number) || (end as number) > text.length) {
      bad(`${where}: offsets [${String(start)}, ${String(end)}) need 0 <= start < end <= ${text.length}`, at);
    }
    if (entity.text !== undefined && entity.text !== text.slice(start as number, end as number)) bad(`${where}: "text" is not text.slice(start, end)`, at);
    if (unscoredTypes.includes(type)) unscored.push({ start: start as number, end: end as number });
    const target = mapping.types[type];
    if (target) mapped.push({ type: target.type, ...(target.kind ? { kind: target.kind } : {}), start: start as number, end: end as number, sourceType: type });
    else if (!mapping.ignoredTypes.includes(type)) {
      throw new NerError('NER_ERR_CORPUS_UNMAPPED_TYPE', `${where}: type "${type}" is neither mapped nor ignored by the ${mapping.name} mapping`, at);
    }
  });
  return { id, text, entities: withoutOverlaps(mapped), split: split === 'all' ? splitOfDocument(mapping, id) : split, unscored, file: at.file, line: at.line };
}

/** The folder a mapping's files are in: under the corpora directory, or the repository's corpus/ folder. */
export function corpusFolder(mapping: Pick<CorpusMapping, 'folder' | 'root'>, corporaDir: string): string {
  return join(mapping.root === 'repository' ? join(PROJECT_ROOT, 'corpus') : corporaDir, mapping.folder);
}

/** Reads a JSONL corpus through its mapping: every line validated, every type mapped or ignored, each document split. */
export async function readJsonlCorpus(mapping: CorpusMapping, corporaDir: string): Promise<AnnotatedCorpus> {
  if (mapping.format !== 'jsonl') throw new NerError('NER_ERR_CORPUS_BAD_LINE', `${mapping.name} is not a JSONL corpus`);
  const documents: CorpusDocument[] = [];
  const files: CorpusFileHash[] = [];
  const seen = new Map<string, string>();
  for (const [split, names] of Object.entries(mapping.files) as [CorpusSplit | 'all', string[]][]) {
    for (const name of names) {
      const file = join(corpusFolder(mapping, corporaDir), name);
      const { text, hash } = await readCorpusFile(file, `the ${mapping.name} corpus (its mapping names ${name})`);
      files.push(hash);
      splitLines(text).forEach((raw, index) => {
        if (raw.trim() === '') return;
        const document = parseDocument(raw, mapping, split, { file, line: index + 1 });
        const earlier = seen.get(document.id);
        if (earlier) bad(`document id ${document.id} is already used at ${earlier}`, { file, line: index + 1 });
        seen.set(document.id, `${file}:${index + 1}`);
        documents.push(document);
      });
    }
  }
  if (documents.length === 0) throw new NerError('NER_ERR_CORPUS_EMPTY', `the ${mapping.name} corpus holds no document`);
  return { mapping, documents, files };
}

/** A document's sentences for training or scoring: its tokens labelled from the mapped entities, with their spans. */
export function documentSentences(document: Pick<CorpusDocument, 'text' | 'entities'>, domain: string): LabeledSentence[] {
  return labeledSentencesOf(document.text, document.entities, { partialTokens: 'majority', withSpans: true }).map((sentence) => ({ ...sentence, domain }));
}

/** Training sentences of any mapped corpus: a JSONL corpus's train documents, or the BeHealthy train split. */
export async function trainingSentencesOf(mapping: CorpusMapping, corporaDir: string): Promise<{ sentences: LabeledSentence[]; files: CorpusFileHash[] }> {
  if (mapping.format === 'behealthy') {
    const { sentences, files } = await readBeHealthySplit(corpusFolder(mapping, corporaDir), 'train');
    return { sentences: sentences.map((s) => ({ ...s, domain: mapping.domain })), files };
  }
  const corpus = await readJsonlCorpus(mapping, corporaDir);
  return { sentences: corpus.documents.filter((d) => d.split === 'train').flatMap((d) => documentSentences(d, mapping.domain)), files: corpus.files };
}
