import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { NerError } from '../errors.js';
import type { FeatureResources } from '../core/feature-templates.js';
import type { WordClusters } from '../core/word-clusters.js';
import { parseGazetteer, serializeGazetteer } from './lexicons.js';

/**
 * The resources feature templates consult (gazetteer, word clusters), as the files a model version ships
 * with, so a model runs on a fresh clone without ../shared.
 */
export const GAZETTEER_FILE = 'gazetteer.tsv.gz';
export const CLUSTERS_FILE = 'clusters.tsv.gz';

export type ResourceFiles = Partial<Record<typeof GAZETTEER_FILE | typeof CLUSTERS_FILE, Buffer>>;

/** One line a word: the word, then its cluster id per level; the first line names the levels. */
export function serializeClusters(clusters: WordClusters): Buffer {
  const lines = [`#levels\t${clusters.levels.join('\t')}`];
  for (const [word, ids] of clusters.clusters) lines.push(`${word}\t${ids.join('\t')}`);
  return gzipSync(Buffer.from(lines.join('\n'), 'utf8'), { level: 9 });
}

export function parseClusters(bytes: Uint8Array, file: string): WordClusters {
  let lines: string[];
  try {
    lines = gunzipSync(bytes).toString('utf8').split('\n');
  } catch (cause) {
    throw new NerError('NER_ERR_LEXICON_INVALID', 'not a gzip-compressed cluster file', { file, cause });
  }
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

export function serializeResources(resources: FeatureResources): ResourceFiles {
  return {
    ...(resources.gazetteer ? { [GAZETTEER_FILE]: serializeGazetteer(resources.gazetteer) } : {}),
    ...(resources.clusters ? { [CLUSTERS_FILE]: serializeClusters(resources.clusters) } : {}),
  };
}

export function parseResources(files: ResourceFiles, directory: string): FeatureResources {
  const gazetteer = files[GAZETTEER_FILE];
  const clusters = files[CLUSTERS_FILE];
  return {
    gazetteer: gazetteer ? parseGazetteer(gazetteer, join(directory, GAZETTEER_FILE)) : null,
    clusters: clusters ? parseClusters(clusters, join(directory, CLUSTERS_FILE)) : null,
  };
}

export async function writeResourceFiles(directory: string, files: ResourceFiles): Promise<void> {
  await Promise.all(Object.entries(files).map(([name, bytes]) => writeFile(join(directory, name), bytes)));
}

/** Reads whichever resource files a directory holds (used by training children; no checksums there). */
export async function readResourceDirectory(directory: string): Promise<FeatureResources> {
  const read = (name: string) => readFile(join(directory, name)).catch(() => undefined);
  const [gazetteer, clusters] = await Promise.all([read(GAZETTEER_FILE), read(CLUSTERS_FILE)]);
  return parseResources({ ...(gazetteer ? { [GAZETTEER_FILE]: gazetteer } : {}), ...(clusters ? { [CLUSTERS_FILE]: clusters } : {}) }, directory);
}
