import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NerError } from '../errors.js';
import { ownString } from '../core/text/own-string.js';
import { SharedFeatureWeights } from '../core/tagger/shared-feature-weights.js';
import type { FeatureResources } from '../core/tagger/feature-templates.js';
import type { ModelResources } from '../core/crf-ner-model.js';
import type { KindClassifier } from '../core/clinical/entity-kinds.js';
import type { LogisticModel } from '../core/tagger/logistic-regression.js';
import type { NoteRouter } from '../core/tagger/note-router.js';
import { RELEVANCE_TARGETS, type RelevanceModels } from '../core/tagger/sentence-relevance.js';
import type { WordClusters } from '../core/tagger/word-clusters.js';
import { buildSpanLexicon, type SpanLexicon, type SpanLexiconEntry } from '../core/tagger/span-lexicon.js';
import { gunzipLines, gzipLines } from './gzip-lines.js';
import { parseGazetteer, serializeGazetteer } from './lexicons.js';

/**
 * The resources feature templates consult (gazetteer, word clusters), as the files a model version ships
 * with, so a model runs on a fresh clone without ../shared.
 */
export const GAZETTEER_FILE = 'gazetteer.tsv.gz';
export const CLUSTERS_FILE = 'clusters.tsv.gz';
export const RELEVANCE_FILE = 'relevance.tsv.gz';
export const POS_LEXICON_FILE = 'pos-lexicon.tsv.gz';
export const NOTES_POS_LEXICON_FILE = 'pos-notes.tsv.gz';
export const SPAN_LEXICON_FILE = 'train-spans.tsv.gz';
export const KINDS_FILE = 'kinds.tsv.gz';
export const ROUTER_FILE = 'router.tsv.gz';
const RESOURCE_FILE_NAMES = [GAZETTEER_FILE, CLUSTERS_FILE, RELEVANCE_FILE, POS_LEXICON_FILE, NOTES_POS_LEXICON_FILE, SPAN_LEXICON_FILE, KINDS_FILE, ROUTER_FILE] as const;

/** One word and its tag a line. */
export function serializePosLexicon(lexicon: ReadonlyMap<string, string>): Buffer {
  return gzipLines([...lexicon].map(([word, tag]) => `${word}\t${tag}`));
}

export function parsePosLexicon(bytes: Uint8Array, file: string): Map<string, string> {
  const lexicon = new Map<string, string>();
  gunzipLines(bytes, file, 'part-of-speech lexicon').forEach((line, index) => {
    if (line === '') return;
    const fields = line.split('\t');
    if (fields.length !== 2 || !fields[0] || !fields[1]) throw new NerError('NER_ERR_LEXICON_INVALID', 'expected "word<TAB>tag"', { file, line: index + 1 });
    lexicon.set(ownString(fields[0]), ownString(fields[1]));
  });
  return lexicon;
}

/** One name a line: its space-joined tokens, label, times labelled and times seen. */
export function serializeSpanLexicon(lexicon: SpanLexicon): Buffer {
  return gzipLines(lexicon.entries().map((e) => `${e.tokens.join(' ')}\t${e.label}\t${e.labelled}\t${e.seen}`));
}

export function parseSpanLexicon(bytes: Uint8Array, file: string): SpanLexicon {
  const entries: SpanLexiconEntry[] = [];
  gunzipLines(bytes, file, 'span lexicon').forEach((line, index) => {
    if (line === '') return;
    const [name, label, labelled, seen, ...rest] = line.split('\t');
    const counts = [Number(labelled), Number(seen)];
    if (!name || (label !== 'D' && label !== 'T') || rest.length > 0 || !counts.every((n) => Number.isInteger(n) && n > 0)) {
      throw new NerError('NER_ERR_LEXICON_INVALID', 'expected "name<TAB>D|T<TAB>labelled<TAB>seen"', { file, line: index + 1 });
    }
    entries.push({ tokens: name.split(' '), label, labelled: counts[0] as number, seen: counts[1] as number });
  });
  return buildSpanLexicon(entries);
}

export type ResourceFiles = Partial<Record<(typeof RESOURCE_FILE_NAMES)[number], Buffer>>;

/**
 * Linear models by name (the relevance classifiers, the kind classifiers, the note router's domains): per model
 * a line `#model<TAB>name<TAB>bias`, then one feature and its weight a line (weights under 1e-6 dropped).
 */
export function serializeLinearModels(models: Readonly<Record<string, LogisticModel>>): Buffer {
  const lines: string[] = [];
  for (const [name, model] of Object.entries(models)) {
    lines.push(`#model\t${name}\t${model.bias}`);
    for (const [feature, weight] of model.weights) if (Math.abs(weight) >= 1e-6) lines.push(`${feature}\t${weight}`);
  }
  return gzipLines(lines);
}

/** Linear models as serializeLinearModels writes them; `required` names must all be there. */
export function parseLinearModels(bytes: Uint8Array, file: string, what: string, required: readonly string[] = []): Record<string, LogisticModel> {
  const lines = gunzipLines(bytes, file, what);
  const models = new Map<string, { bias: number; order: number[]; weights: number[]; at: Map<number, number> }>();
  let current: { bias: number; order: number[]; weights: number[]; at: Map<number, number> } | undefined;
  // The models of a file share most features: one string and one id each (SharedFeatureWeights).
  const ids = new Map<string, number>();
  const features: string[] = [];
  lines.forEach((line, index) => {
    const fields = line.split('\t');
    if (fields[0] === '#model') {
      const bias = Number(fields[2]);
      if (fields.length !== 3 || !Number.isFinite(bias)) throw new NerError('NER_ERR_LEXICON_INVALID', 'expected "#model<TAB>name<TAB>bias"', { file, line: index + 1 });
      current = { bias, order: [], weights: [], at: new Map() };
      models.set(fields[1] as string, current);
      return;
    }
    const tab = line.lastIndexOf('\t');
    const weight = Number(line.slice(tab + 1));
    if (!current || tab <= 0 || !Number.isFinite(weight)) throw new NerError('NER_ERR_LEXICON_INVALID', 'expected "feature<TAB>weight" after a #model line', { file, line: index + 1 });
    const feature = line.slice(0, tab);
    let id = ids.get(feature);
    if (id === undefined) {
      id = features.length;
      const own = ownString(feature);
      features.push(own);
      ids.set(own, id);
    }
    // A feature listed twice in a model keeps its last weight, in its first place (as Map.set does).
    const at = current.at.get(id);
    if (at !== undefined) current.weights[at] = weight;
    else {
      current.at.set(id, current.order.length);
      current.order.push(id);
      current.weights.push(weight);
    }
  });
  const missing = required.filter((t) => !models.has(t));
  if (missing.length > 0) throw new NerError('NER_ERR_LEXICON_INVALID', `missing ${what}(s): ${missing.join(', ')}`, { file });
  if (models.size === 0) throw new NerError('NER_ERR_LEXICON_INVALID', `no ${what} in the file`, { file });
  // A native Map for the ids: a model is read at every note (router) and entity (kinds), and a packed table's
  // hashing in JavaScript cost short notes 5-10% of their extraction.
  return Object.fromEntries(
    [...models].map(([name, model]) => [name, { bias: model.bias, weights: new SharedFeatureWeights(ids, features, Int32Array.from(model.order), Float64Array.from(model.weights)) }]),
  );
}

export function serializeRelevance(models: RelevanceModels): Buffer {
  return serializeLinearModels(Object.fromEntries(RELEVANCE_TARGETS.map((target) => [target, models[target]])));
}

export function parseRelevance(bytes: Uint8Array, file: string): RelevanceModels {
  const models = parseLinearModels(bytes, file, 'relevance model', RELEVANCE_TARGETS);
  return { any: models.any, disease: models.disease, treatment: models.treatment } as RelevanceModels;
}

export function serializeKinds(kinds: KindClassifier): Buffer {
  return serializeLinearModels({ disease: kinds.disease, treatment: kinds.treatment });
}

export function parseKinds(bytes: Uint8Array, file: string): KindClassifier {
  const models = parseLinearModels(bytes, file, 'kind classifier', ['disease', 'treatment']);
  return { disease: models.disease as LogisticModel, treatment: models.treatment as LogisticModel };
}

export function serializeRouter(router: NoteRouter): Buffer {
  return serializeLinearModels(router.domains);
}

export function parseRouter(bytes: Uint8Array, file: string): NoteRouter {
  return { domains: parseLinearModels(bytes, file, 'note router domain') };
}

/** One line a word: the word, then its cluster id per level; the first line names the levels. */
export function serializeClusters(clusters: WordClusters): Buffer {
  const lines = [`#levels\t${clusters.levels.join('\t')}`];
  for (const [word, ids] of clusters.clusters) lines.push(`${word}\t${ids.join('\t')}`);
  return gzipLines(lines);
}

export function parseClusters(bytes: Uint8Array, file: string): WordClusters {
  const lines = gunzipLines(bytes, file, 'cluster file');
  const header = (lines[0] ?? '').split('\t');
  const levels = header.slice(1).map(Number);
  if (header[0] !== '#levels' || levels.length === 0 || !levels.every((n) => Number.isInteger(n) && n > 0)) {
    throw new NerError('NER_ERR_LEXICON_INVALID', 'expected a "#levels<TAB>n..." header', { file, line: 1 });
  }
  const clusters = new Map<string, number[]>();
  for (let i = 1; i < lines.length; i++) {
    const [word, ...ids] = (lines[i] as string).split('\t');
    const numbers = ids.map(Number);
    if (!word || numbers.length !== levels.length || !numbers.every((n, level) => Number.isInteger(n) && n >= 0 && n < (levels[level] as number))) {
      throw new NerError('NER_ERR_LEXICON_INVALID', `expected a word and ${levels.length} cluster ids`, { file, line: i + 1 });
    }
    clusters.set(word, numbers);
  }
  return { levels, clusters };
}

export function serializeResources(resources: ModelResources): ResourceFiles {
  return {
    ...(resources.kinds ? { [KINDS_FILE]: serializeKinds(resources.kinds) } : {}),
    ...(resources.router ? { [ROUTER_FILE]: serializeRouter(resources.router) } : {}),
    ...(resources.gazetteer ? { [GAZETTEER_FILE]: serializeGazetteer(resources.gazetteer) } : {}),
    ...(resources.clusters ? { [CLUSTERS_FILE]: serializeClusters(resources.clusters) } : {}),
    ...(resources.relevance ? { [RELEVANCE_FILE]: serializeRelevance(resources.relevance) } : {}),
    ...(resources.posLexicon ? { [POS_LEXICON_FILE]: serializePosLexicon(resources.posLexicon) } : {}),
    ...(resources.notesPosLexicon ? { [NOTES_POS_LEXICON_FILE]: serializePosLexicon(resources.notesPosLexicon) } : {}),
    ...(resources.spanLexicon ? { [SPAN_LEXICON_FILE]: serializeSpanLexicon(resources.spanLexicon) } : {}),
  };
}

export function parseResources(files: ResourceFiles, directory: string): ModelResources {
  const kinds = files[KINDS_FILE];
  const router = files[ROUTER_FILE];
  const gazetteer = files[GAZETTEER_FILE];
  const clusters = files[CLUSTERS_FILE];
  const relevance = files[RELEVANCE_FILE];
  const posLexicon = files[POS_LEXICON_FILE];
  const notesPosLexicon = files[NOTES_POS_LEXICON_FILE];
  const spanLexicon = files[SPAN_LEXICON_FILE];
  return {
    gazetteer: gazetteer ? parseGazetteer(gazetteer, join(directory, GAZETTEER_FILE)) : null,
    clusters: clusters ? parseClusters(clusters, join(directory, CLUSTERS_FILE)) : null,
    relevance: relevance ? parseRelevance(relevance, join(directory, RELEVANCE_FILE)) : null,
    posLexicon: posLexicon ? parsePosLexicon(posLexicon, join(directory, POS_LEXICON_FILE)) : null,
    notesPosLexicon: notesPosLexicon ? parsePosLexicon(notesPosLexicon, join(directory, NOTES_POS_LEXICON_FILE)) : null,
    spanLexicon: spanLexicon ? parseSpanLexicon(spanLexicon, join(directory, SPAN_LEXICON_FILE)) : null,
    kinds: kinds ? parseKinds(kinds, join(directory, KINDS_FILE)) : null,
    router: router ? parseRouter(router, join(directory, ROUTER_FILE)) : null,
  };
}

export async function writeResourceFiles(directory: string, files: ResourceFiles): Promise<void> {
  await Promise.all(Object.entries(files).map(([name, bytes]) => writeFile(join(directory, name), bytes)));
}

/** Reads whichever resource files a directory holds (training's working directories; no checksums there). */
export async function readResourceFiles(directory: string): Promise<ResourceFiles> {
  const files: ResourceFiles = {};
  for (const name of RESOURCE_FILE_NAMES) {
    const bytes = await readFile(join(directory, name)).catch(() => undefined);
    if (bytes) files[name] = bytes;
  }
  return files;
}

/** Files learned from the training sentences themselves: an experiment that trains again learns them again. */
const LEARNED_FROM_TRAINING: ReadonlySet<string> = new Set([RELEVANCE_FILE, SPAN_LEXICON_FILE, POS_LEXICON_FILE]);

/**
 * A model directory's resources without those learned from training sentences (relevance classifiers, the
 * train-spans and train-split POS lexicons), for scripts that retrain the model's configuration on folds:
 * each fold must learn those from its own training sentences, never from the held-out ones.
 */
export async function readFixedResources(directory: string): Promise<FeatureResources> {
  const files = await readResourceFiles(directory);
  return parseResources(Object.fromEntries(Object.entries(files).filter(([name]) => !LEARNED_FROM_TRAINING.has(name))), directory);
}
