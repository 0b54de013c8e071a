import { copyFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LabeledSentence } from '../core/text/types.js';
import { CLUSTERS_FILE, GAZETTEER_FILE, NOTES_POS_LEXICON_FILE, serializeResources, writeResourceFiles } from '../corpus/resource-files.js';
import type { DataFileDigest, ModelCard } from '../registry/model-card.js';
import { digestFile } from '../registry/model-store.js';
import { buildResources, requiredResources } from './build-resources.js';

/**
 * The external resources tuning trials consult (gazetteer, word clusters, the notes' part-of-speech lexicon),
 * prepared once in one directory that every trial's folds read: none of them depends on c1, c2, the
 * encoding or the iterations, so trials spend their time in CRF training. They are taken from the incumbent
 * model version when it ships them (a copy of the files it was trained with: no two-minute build), and built
 * from the lexicons and notes otherwise. Resources learned from the training sentences (relevance, span and
 * train-split POS lexicons) are learned inside each fold, never here.
 */

export type ResourceKind = 'gazetteer' | 'clusters' | 'notesPos';
const KINDS: readonly ResourceKind[] = ['gazetteer', 'clusters', 'notesPos'];
const FILE_OF: Record<ResourceKind, string> = { gazetteer: GAZETTEER_FILE, clusters: CLUSTERS_FILE, notesPos: NOTES_POS_LEXICON_FILE };
/** A template that needs each kind, to ask buildResources for it alone. */
const TEMPLATE_NEEDING: Record<ResourceKind, string> = { gazetteer: 'gazetteer', clusters: 'cluster', notesPos: 'pos-notes' };

export function resourceKindsOf(templates: readonly string[]): ResourceKind[] {
  const needed = requiredResources(templates);
  return KINDS.filter((kind) => needed[kind]);
}

export interface TuneResourcesRequest {
  /** Where the trials' folds will read the resources from (an empty directory). */
  directory: string;
  /** The incumbent's templates: their resources are always made available (copied or built). */
  incumbentTemplates: readonly string[];
  /** Templates trials may add: their resources are copied when the incumbent ships them, built only with `build`. */
  candidateTemplates: readonly string[];
  incumbent: { directory: string; card: ModelCard };
  lexiconDir: string;
  notesFile: string;
  trainSentences: readonly LabeledSentence[];
  /** Build every resource from the lexicons and notes instead of copying the incumbent's. */
  build: boolean;
  onStage?: (stage: string) => void;
}

export interface TuneResources {
  directory: string;
  available: Set<ResourceKind>;
  /** The data files each available resource came from, with their sha256 (recorded in every trial's run). */
  dataFiles: Map<ResourceKind, DataFileDigest[]>;
  reusedFrom: string | null;
  built: ResourceKind[];
  /** e.g. the lexicons changed since the incumbent was trained (its copied resources then differ from a rebuild). */
  warnings: string[];
}

function sourcesOf(kind: ResourceKind, lexiconDir: string, notesFile: string): string[] {
  return kind === 'gazetteer' ? [join(lexiconDir, 'drugs.tsv'), join(lexiconDir, 'doid.tsv')] : [notesFile];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function prepareTuneResources(request: TuneResourcesRequest): Promise<TuneResources> {
  const mustHave = new Set(resourceKindsOf(request.incumbentTemplates));
  const wanted = new Set([...mustHave, ...resourceKindsOf(request.candidateTemplates)]);
  const result: TuneResources = { directory: request.directory, available: new Set(), dataFiles: new Map(), reusedFrom: null, built: [], warnings: [] };
  const toBuild: ResourceKind[] = [];
  const cardFiles = request.incumbent.card.data.files;
  // The notes file feeds two kinds (clusters, notes POS) and is large: hashed once.
  const digests = new Map<string, Promise<DataFileDigest>>();
  for (const kind of KINDS.filter((k) => wanted.has(k))) {
    const shipped = join(request.incumbent.directory, FILE_OF[kind]);
    if (!request.build && (await exists(shipped))) {
      await copyFile(shipped, join(request.directory, FILE_OF[kind]));
      result.available.add(kind);
      result.reusedFrom = request.incumbent.card.version;
      const sources = sourcesOf(kind, request.lexiconDir, request.notesFile);
      const recorded = sources.map((s) => cardFiles.find((f) => f.path === basename(s))).filter((f): f is DataFileDigest => f !== undefined);
      result.dataFiles.set(kind, recorded.map((f) => ({ path: f.path, sha256: f.sha256 })));
      for (const source of sources) {
        const before = recorded.find((f) => f.path === basename(source));
        if (!before || !(await exists(source))) continue;
        if (!digests.has(source)) digests.set(source, digestFile(source, basename(source)));
        const now = await (digests.get(source) as Promise<DataFileDigest>);
        if (now.sha256 !== before.sha256) {
          result.warnings.push(
            `${source} changed since ${request.incumbent.card.version} was trained: trials use that version's ${FILE_OF[kind]}; ` +
              'a model trained now (--train-best) builds it from the current file (--build-resources tunes on the current files)',
          );
        }
      }
    } else if (request.build || mustHave.has(kind)) {
      toBuild.push(kind);
    }
  }
  if (toBuild.length > 0) {
    const built = await buildResources(
      toBuild.map((k) => TEMPLATE_NEEDING[k]),
      { lexiconDir: request.lexiconDir, notesFile: request.notesFile, trainSentences: request.trainSentences },
      request.onStage,
    );
    await writeResourceFiles(request.directory, serializeResources(built.resources));
    for (const kind of toBuild) {
      result.available.add(kind);
      result.built.push(kind);
      const names = sourcesOf(kind, request.lexiconDir, request.notesFile).map((s) => basename(s));
      result.dataFiles.set(kind, built.dataFiles.filter((f) => names.includes(f.path)).map((f) => ({ path: f.path, sha256: f.sha256 })));
    }
  }
  return result;
}

/** Whether every resource a template needs is in the prepared set. */
export function templateAvailable(resources: Pick<TuneResources, 'available'>, template: string): boolean {
  return resourceKindsOf([template]).every((kind) => resources.available.has(kind));
}

/** The data files a configuration's resources came from, in a fixed order. */
export function resourceDataFiles(resources: Pick<TuneResources, 'dataFiles'>, templates: readonly string[]): DataFileDigest[] {
  const files: DataFileDigest[] = [];
  for (const kind of resourceKindsOf(templates)) {
    for (const file of resources.dataFiles.get(kind) ?? []) if (!files.some((f) => f.path === file.path)) files.push(file);
  }
  return files;
}
