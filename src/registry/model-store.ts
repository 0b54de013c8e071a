import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { NerError } from '../errors.js';
import { createCrfNerModel, type CrfNerModel, type FoldDomains } from '../core/crf-ner-model.js';
import type { BrandLexicon } from '../core/clinical/brands.js';
import { readBrandLexicon } from '../corpus/brands.js';
import type { IndicationKnowledge } from '../core/clinical/indications.js';
import { readIndicationKnowledge } from '../corpus/indications.js';
import { parseCrfsuiteModel } from '../core/tagger/crf-model-file.js';
import { resolveTemplates, type FeatureResources } from '../core/tagger/feature-templates.js';
import { decodeLabels, type LabelEncoding } from '../core/tagger/label-codec.js';
import { resolveSpanRules, resolveDomainSpanRules } from '../core/clinical/span-rules.js';
import { parseResources, writeResourceFiles, type ResourceFiles } from '../corpus/resource-files.js';
import { conceptEnricher, conceptSectionNames, type Spelling } from '../core/clinical/concept-codes/concept-enricher.js';
import type { ConceptIndex } from '../core/clinical/concept-codes/concept-index.js';
import { formatModelCard, parseModelCard, type FileDigest, type ModelCard } from './model-card.js';

/**
 * Model versions on disk: `<modelsDir>/<version>/{model-card.json, model.crfsuite, resource files}` and
 * `<modelsDir>/production.json` naming the version in production. Every file is checked against the
 * sha256 in the card, and the CRF file is parsed by our own reader, before anything uses it.
 */

export const CARD_FILE = 'model-card.json';
export const MODEL_FILE = 'model.crfsuite';
export const PRODUCTION_POINTER = 'production.json';
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface LoadedModel {
  card: ModelCard;
  model: CrfNerModel;
  directory: string;
  /** Each resource file as parsed, by name and sha256: loading another version reuses those whose bytes are the same. */
  parsedResources?: ReadonlyMap<string, Partial<FeatureResources>>;
  /** The brand list the model finds and maps (see LoadOptions.brands). */
  brands?: BrandLexicon | null;
  /** What drugs and procedures are given for, which pairs them with diagnoses (see LoadOptions.indications). */
  indications?: IndicationKnowledge | null;
  /** The concept codes its entities get (absent: none); a reload of another version keeps them. */
  concepts?: ConceptIndex;
  /** Which domains' weight tables it holds (see LoadOptions.foldDomains); a reload of another version keeps it. */
  foldDomains?: FoldDomains;
}

export interface LoadOptions {
  /**
   * A model already loaded (the one serving, on a hot reload): a resource file of the new version whose
   * verified bytes have the same sha256 is not parsed again (parsed resources are read-only, so sharing is safe).
   */
  reuse?: LoadedModel;
  /**
   * The brand names to find and map (corpus/brands.ts: readBrandLexicon with the deployment's BRANDS_FILE); null:
   * none. Absent: those of `reuse`, else the shipped data/brands.tsv.
   */
  brands?: BrandLexicon | null;
  /** What drugs and procedures are given for (corpus/indications.ts); null: none. Absent: those of `reuse`, else the shipped data/indications.tsv. */
  indications?: IndicationKnowledge | null;
  /**
   * Codes diseases and drugs (ICD-10-CM, DOID, DrugBank) after the model's own steps; default: the concepts of
   * `reuse`, else none. The index comes from the configured vocabularies (corpus/concept-vocabularies.ts).
   */
  concepts?: ConceptIndex;
  /**
   * 'served': a model with domains folds only the weight tables serving tags with (the serving domain's and the
   * routed ones; core/crf-ner-model.ts), and forDomain of another domain throws. Default: that of `reuse`, else
   * 'all' (evaluating a corpus under its own domain needs them all).
   */
  foldDomains?: FoldDomains;
}

/** A load run once per process and its promise shared; a failed load is tried again on the next call. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
}

/** The shipped brand list, read once per process. */
const shippedBrandLexicon = once(() => readBrandLexicon());
/** The shipped indication list, read once per process. */
const shippedIndicationKnowledge = once(() => readIndicationKnowledge());

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function assertVersionName(version: string): void {
  if (!VERSION_PATTERN.test(version)) {
    throw new NerError('NER_ERR_MODEL_NOT_FOUND', `"${version}" is not a model version name (letters, digits, . _ -)`);
  }
}

async function readOrNotFound(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new NerError('NER_ERR_MODEL_NOT_FOUND', `cannot read the ${what}`, { file: path, cause });
  }
}

async function readVerified(directory: string, digest: FileDigest, what: string): Promise<Buffer> {
  const path = join(directory, basename(digest.path));
  const bytes = await readOrNotFound(path, what);
  if (bytes.length !== digest.bytes || sha256(bytes) !== digest.sha256) {
    throw new NerError(
      'NER_ERR_MODEL_CHECKSUM',
      `the ${what} does not match its model card (${bytes.length} bytes, card says ${digest.bytes}): truncated, replaced or tampered with`,
      { file: path },
    );
  }
  return bytes;
}

/** production.json: the version in production and when it was promoted (null in a pointer written by hand). */
export interface ProductionPointer {
  version: string;
  promotedAt: string | null;
}

export async function readProductionPointer(modelsDir: string): Promise<ProductionPointer> {
  const path = join(modelsDir, PRODUCTION_POINTER);
  const bytes = await readOrNotFound(path, 'production pointer');
  let pointer: { version?: unknown; promotedAt?: unknown } | undefined;
  try {
    pointer = JSON.parse(bytes.toString('utf8')) as { version?: unknown; promotedAt?: unknown };
  } catch {
    pointer = undefined;
  }
  if (typeof pointer?.version !== 'string') {
    throw new NerError('NER_ERR_MODEL_PRODUCTION_POINTER', 'expected {"version": "<model version>"}', { file: path });
  }
  return { version: pointer.version, promotedAt: typeof pointer.promotedAt === 'string' ? pointer.promotedAt : null };
}

export async function readProductionVersion(modelsDir: string): Promise<string> {
  return (await readProductionPointer(modelsDir)).version;
}

/** Loads and verifies a model version (default: the production one). Never hands an unchecked file to CRFsuite. */
export async function loadModel(modelsDir: string, version?: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const chosen = version ?? (await readProductionVersion(modelsDir));
  assertVersionName(chosen);
  const directory = join(modelsDir, chosen);
  const cardPath = join(directory, CARD_FILE);
  const card = parseModelCard((await readOrNotFound(cardPath, 'model card')).toString('utf8'), cardPath);
  // Records carry card.version: a card copied under another directory name would serve under a name it was never promoted as.
  if (card.version !== chosen) throw new NerError('NER_ERR_MODEL_CARD_INVALID', `the card names version ${card.version}, not ${chosen} (its directory)`, { file: cardPath });
  const templates = resolveTemplates(card.templates);
  const spanRules = resolveSpanRules(card.spanRules ?? []);
  const crfBytes = await readVerified(directory, card.files.model, 'model file');
  const resourceFiles: ResourceFiles = {};
  const resourceDigests = new Map<string, string>();
  for (const digest of card.files.resources) {
    (resourceFiles as Record<string, Buffer>)[basename(digest.path)] = await readVerified(directory, digest, `resource file ${digest.path}`);
    resourceDigests.set(basename(digest.path), digest.sha256);
  }
  const weights = parseCrfsuiteModel(crfBytes);
  checkLabels(weights.labels, card.labelEncoding, join(directory, MODEL_FILE));
  // One resource file at a time, with a turn of the event loop between them (and after the CRF file): a
  // serving process that reloads a model keeps answering, stalled at most one file's parse at a time.
  const resources = parseResources({}, directory);
  const parsedResources = new Map<string, Partial<FeatureResources>>();
  for (const [name, bytes] of Object.entries(resourceFiles)) {
    // The bytes were checked against the card's digest above, so the digest names them.
    const key = `${name}\0${resourceDigests.get(name)}`;
    let parsed = options.reuse?.parsedResources?.get(key);
    if (!parsed) {
      await nextTurn();
      const all = parseResources({ [name]: bytes }, directory);
      parsed = Object.fromEntries(Object.entries(all).filter(([, value]) => value !== null)) as Partial<FeatureResources>;
    }
    parsedResources.set(key, parsed);
    Object.assign(resources, parsed);
  }
  const brands = options.brands !== undefined ? options.brands : options.reuse?.brands !== undefined ? options.reuse.brands : await shippedBrandLexicon();
  const indications = options.indications !== undefined ? options.indications : options.reuse?.indications !== undefined ? options.reuse.indications : await shippedIndicationKnowledge();
  const concepts = options.concepts ?? options.reuse?.concepts;
  const foldDomains = options.foldDomains ?? options.reuse?.foldDomains ?? 'all';
  const model = createCrfNerModel({
    ...(concepts ? { enrichers: [conceptEnricher(concepts, spellingOf(resources))], sectionNames: conceptSectionNames(concepts) } : {}),
    version: card.version, labelEncoding: card.labelEncoding, templates, weights, resources, spanRules,
    ...(brands ? { brands } : {}),
    ...(indications ? { indications } : {}),
    ...(card.calibration ? { calibration: card.calibration.map } : {}),
    ...(card.notesCalibration ? { notesCalibration: { spans: card.notesCalibration.spans, lexiconSpans: card.notesCalibration.lexiconSpans } } : {}),
    ...(card.learnedFrom ? { learnedFrom: card.learnedFrom } : {}),
    ...(card.decoding ? { decoding: card.decoding } : {}),
    ...(card.domains ? { domains: card.domains } : {}),
    ...(card.servingDomain ? { servingDomain: card.servingDomain } : {}),
    foldDomains,
    ...(card.domainSpanRules ? { domainSpanRules: resolveDomainSpanRules(card.domainSpanRules) } : {}),
  });
  return { card, model, directory, parsedResources, brands, indications, ...(concepts ? { concepts } : {}), foldDomains };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Every label of the CRF file must be a tag of the card's encoding: a CRFsuite model of another task would fail at the first note. */
function checkLabels(labels: readonly string[], encoding: LabelEncoding, file: string): void {
  try {
    decodeLabels([...labels], encoding);
  } catch {
    throw new NerError('NER_ERR_MODEL_FORMAT', `the model's labels (${labels.slice(0, 8).join(', ')}) are not ${encoding} tags as its card says: a CRFsuite model of another task`, { file });
  }
}

export async function digestFile(path: string, name: string): Promise<FileDigest> {
  const bytes = await readFile(path);
  return { path: name, sha256: sha256(bytes), bytes: bytes.length };
}

/**
 * Writes a new version directory from a trained CRF file and card, atomically: files go to a temporary
 * directory renamed into place, so a reader never sees a half-written version.
 */
export async function saveModel(
  modelsDir: string,
  card: Omit<ModelCard, 'files'>,
  crfFile: string,
  resourceFiles: ResourceFiles,
): Promise<ModelCard> {
  assertVersionName(card.version);
  const directory = join(modelsDir, card.version);
  if (await exists(directory)) throw new NerError('NER_ERR_MODEL_CARD_INVALID', `model version ${card.version} already exists`, { file: directory });
  const staging = `${directory}.tmp-${process.pid}`;
  await mkdir(staging, { recursive: true });
  await copyFile(crfFile, join(staging, MODEL_FILE));
  await writeResourceFiles(staging, resourceFiles);
  const full: ModelCard = {
    ...card,
    files: {
      model: await digestFile(join(staging, MODEL_FILE), MODEL_FILE),
      resources: await Promise.all(Object.keys(resourceFiles).sort().map((name) => digestFile(join(staging, name), name))),
    },
  };
  await writeFile(join(staging, CARD_FILE), formatModelCard(full));
  await rename(staging, directory);
  return full;
}

export async function setProductionVersion(modelsDir: string, version: string, promotedAt: Date = new Date()): Promise<void> {
  assertVersionName(version);
  await stat(join(modelsDir, version, CARD_FILE)).catch((cause: unknown) => {
    throw new NerError('NER_ERR_MODEL_NOT_FOUND', `no model version ${version}`, { file: join(modelsDir, version), cause });
  });
  const path = join(modelsDir, PRODUCTION_POINTER);
  const staging = `${path}.tmp-${process.pid}`;
  await writeFile(staging, `${JSON.stringify({ version, promotedAt: promotedAt.toISOString() }, null, 2)}\n`);
  await rename(staging, path);
}

export async function listModelVersions(modelsDir: string): Promise<string[]> {
  const entries = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
  const versions: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory() && VERSION_PATTERN.test(entry.name) && (await exists(join(modelsDir, entry.name, CARD_FILE)))) versions.push(entry.name);
  }
  return versions.sort();
}

/** The next version name for today: YYYY-MM-DD.N, N one past the highest of the day. */
export async function nextVersionName(modelsDir: string, now = new Date()): Promise<string> {
  const day = now.toISOString().slice(0, 10);
  // One past the highest of the day, never a gap: a version name once used (in records, runs) is never reused.
  let highest = 0;
  for (const version of await listModelVersions(modelsDir)) {
    const match = /^(\d{4}-\d{2}-\d{2})\.(\d+)$/.exec(version);
    if (match?.[1] === day) highest = Math.max(highest, Number(match[2]));
  }
  return `${day}.${highest + 1}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The model's reading of misspelt name words, for coding a name no vocabulary knows as written. */
function spellingOf(resources: Partial<FeatureResources>): Spelling | undefined {
  const gazetteer = resources.gazetteer;
  return gazetteer?.knownWords ? (word) => gazetteer.correct(word) : undefined;
}
