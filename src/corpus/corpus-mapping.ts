import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntityKind, EntityType } from '../core/text/types.js';
import { NerError } from '../errors.js';

/**
 * How an annotated corpus becomes training and evaluation data for the product: which of its types become which
 * product entity (and kind), which are ignored, how overlapping and discontinuous entities are resolved, how it
 * is split, and the domain and annotation policy it is learned under. Kept as data in corpus/mappings/, one JSON
 * file per corpus; read and validated here, so a wrong mapping is an error that names its file and field.
 */
export interface CorpusMapping {
  name: string;
  description: string;
  citation: string;
  licence: string;
  /** `jsonl`: one document per line, `{ id, text, entities: [{ type, start, end, text }] }`; `behealthy`: token per line. */
  format: 'jsonl' | 'behealthy';
  /** The corpus's folder: under the corpora directory (CORPORA_DIR), or under the repository's corpus/ with `root`. */
  folder: string;
  /**
   * Where `folder` is: `corpora` (default) for corpora read in place from CORPORA_DIR; `repository` for the
   * project's own hand-annotated notes, kept in the repository's corpus/ folder.
   */
  root?: 'corpora' | 'repository';
  /** Files by split; `all` is split into train and dev by `split`. */
  files: Partial<Record<CorpusSplit | 'all', string[]>>;
  split?: { devShare: number; by: 'document' | 'key' | 'folds'; key?: string };
  /** The feature-augmentation domain its sentences are learned under (its own weights beside the shared ones). */
  domain: string;
  /** `every-mention`: every mention is annotated; `relation-sentences`: only where a sentence states a relation. */
  policy: AnnotationPolicy;
  /** Every source type: the product entity it becomes. A type absent from both this and ignoredTypes is an error. */
  types: Record<string, { type: EntityType; kind?: EntityKind }>;
  ignoredTypes: string[];
  /** Of overlapping mapped entities, the longest is kept (then the earlier). */
  overlaps: 'longest';
  /** Entities in several pieces are not learned (a CRF span is contiguous). */
  discontinuous: 'ignore';
  annotationPolicy: string;
  /**
   * How it annotates a body site written before a disease name: in the name (`inside`, the guideline's way and the
   * default), or as an entity of its own (`apart`: MACCROBAT's Biological_structure), so that its domain does not
   * join the site to the name (the `join-leading-site` span rule).
   */
  sitesBeforeNames?: 'inside' | 'apart';
  /**
   * How its dev documents are scored: kinds left out as their type (MACCROBAT's disease score counts diagnoses,
   * not symptoms), source types whose spans are not scored (a prediction over one is neither right nor wrong).
   */
  scoring: { unscoredKinds?: EntityKind[]; unscoredTypes?: string[] };
}

export type CorpusSplit = 'train' | 'dev' | 'test';
export const ANNOTATION_POLICIES = ['every-mention', 'relation-sentences'] as const;
export type AnnotationPolicy = (typeof ANNOTATION_POLICIES)[number];

const ENTITY_TYPES: readonly EntityType[] = ['disease', 'treatment'];
const KINDS: Record<EntityType, readonly EntityKind[]> = { disease: ['diagnosis', 'symptom'], treatment: ['drug', 'procedure'] };
const SPLITS = ['train', 'dev', 'test', 'all'] as const;

/** The folder of the mappings that ship with the product. */
export const MAPPINGS_DIR = 'corpus/mappings';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a parsed mapping; every problem is listed in one error naming the file. */
export function parseCorpusMapping(value: unknown, file: string): CorpusMapping {
  const problems: string[] = [];
  const need = (condition: boolean, problem: string): void => {
    if (!condition) problems.push(problem);
  };
  if (!isRecord(value)) throw new NerError('NER_ERR_CORPUS_MAPPING_INVALID', 'a corpus mapping must be a JSON object', { file });
  for (const field of ['name', 'description', 'citation', 'licence', 'folder', 'domain', 'annotationPolicy']) {
    need(typeof value[field] === 'string' && value[field] !== '', `"${field}" must be a non-empty string`);
  }
  need(value.format === 'jsonl' || value.format === 'behealthy', '"format" must be "jsonl" or "behealthy"');
  need((ANNOTATION_POLICIES as readonly unknown[]).includes(value.policy), `"policy" must be one of ${ANNOTATION_POLICIES.join(', ')}`);
  need(value.overlaps === 'longest', '"overlaps" must be "longest"');
  need(value.discontinuous === 'ignore', '"discontinuous" must be "ignore"');
  need(value.root === undefined || value.root === 'corpora' || value.root === 'repository', '"root" must be "corpora" or "repository"');
  need(value.sitesBeforeNames === undefined || value.sitesBeforeNames === 'inside' || value.sitesBeforeNames === 'apart', '"sitesBeforeNames" must be "inside" or "apart"');
  const files = value.files;
  if (!isRecord(files) || Object.keys(files).length === 0) problems.push('"files" must map train / dev / test / all to lists of file names');
  else {
    for (const [split, names] of Object.entries(files)) {
      need((SPLITS as readonly string[]).includes(split), `"files.${split}": the splits are ${SPLITS.join(', ')}`);
      need(Array.isArray(names) && names.length > 0 && names.every((n) => typeof n === 'string' && n !== '' && !n.includes('..')), `"files.${split}" must list file names inside the corpus folder`);
    }
    const split = value.split;
    if (files.all !== undefined) {
      const ok = isRecord(split) && typeof split.devShare === 'number' && split.devShare > 0 && split.devShare < 1 && (split.by === 'document' || split.by === 'key');
      need(ok, '"split" must give a devShare between 0 and 1 and "by": "document" or "key" when files.all is split');
      if (ok && split.by === 'key') {
        let valid = typeof split.key === 'string';
        try {
          valid &&= new RegExp(split.key as string).source.length > 0;
        } catch {
          valid = false;
        }
        need(valid, '"split.key" must be a regular expression whose first group is the unit kept together (e.g. a trial id)');
      }
    }
  }
  const types = value.types;
  if (!isRecord(types) || Object.keys(types).length === 0) problems.push('"types" must map source types to { "type": "disease" | "treatment", "kind"? }');
  else {
    for (const [source, target] of Object.entries(types)) {
      if (!isRecord(target) || !ENTITY_TYPES.includes(target.type as EntityType)) {
        problems.push(`"types.${source}.type" must be "disease" or "treatment"`);
        continue;
      }
      if (target.kind !== undefined) {
        const allowed = KINDS[target.type as EntityType];
        need(allowed.includes(target.kind as EntityKind), `"types.${source}.kind" must be one of ${allowed.join(', ')}`);
      }
    }
  }
  const scoring = value.scoring;
  if (!isRecord(scoring)) problems.push('"scoring" must be an object (e.g. {} or { "unscoredKinds": ["symptom"] })');
  else {
    const kinds = scoring.unscoredKinds;
    need(kinds === undefined || (Array.isArray(kinds) && kinds.every((k) => (['diagnosis', 'symptom', 'drug', 'procedure'] as unknown[]).includes(k))), '"scoring.unscoredKinds" must list kinds');
    const unscored = scoring.unscoredTypes;
    need(unscored === undefined || (Array.isArray(unscored) && unscored.every((t) => typeof t === 'string')), '"scoring.unscoredTypes" must list source types');
  }
  const ignored = value.ignoredTypes;
  if (!Array.isArray(ignored) || !ignored.every((t) => typeof t === 'string')) problems.push('"ignoredTypes" must be a list of source types');
  else if (isRecord(types)) {
    for (const type of ignored) need(!(type in types), `"${type}" is both mapped and ignored`);
  }
  if (problems.length > 0) throw new NerError('NER_ERR_CORPUS_MAPPING_INVALID', `invalid corpus mapping: ${problems.join('; ')}`, { file });
  return value as unknown as CorpusMapping;
}

/** Reads every `*.json` mapping of a folder, by name. */
export async function readCorpusMappings(dir: string): Promise<Map<string, CorpusMapping>> {
  const names = (await readdir(dir).catch((cause: unknown) => {
    throw new NerError('NER_ERR_CORPUS_FILE_MISSING', `no corpus mappings folder at ${dir}`, { cause });
  })).filter((name) => name.endsWith('.json')).sort();
  const mappings = new Map<string, CorpusMapping>();
  for (const name of names) {
    const file = join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new NerError('NER_ERR_CORPUS_MAPPING_INVALID', 'the mapping is not valid JSON', { file, cause });
    }
    const mapping = parseCorpusMapping(parsed, file);
    if (mappings.has(mapping.name)) throw new NerError('NER_ERR_CORPUS_MAPPING_INVALID', `a second mapping named "${mapping.name}"`, { file });
    mappings.set(mapping.name, mapping);
  }
  return mappings;
}
