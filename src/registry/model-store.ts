import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { NerError } from '../errors.js';
import { createCrfNerModel, type CrfNerModel } from '../core/crf-ner-model.js';
import { parseCrfsuiteModel } from '../core/crf-model-file.js';
import { resolveTemplates } from '../core/feature-templates.js';
import { resolveSpanRules } from '../core/span-rules.js';
import { parseResources, writeResourceFiles, type ResourceFiles } from '../corpus/resource-files.js';
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
}

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

export async function readProductionVersion(modelsDir: string): Promise<string> {
  const path = join(modelsDir, PRODUCTION_POINTER);
  const bytes = await readOrNotFound(path, 'production pointer');
  let version: unknown;
  try {
    version = (JSON.parse(bytes.toString('utf8')) as { version?: unknown }).version;
  } catch {
    version = undefined;
  }
  if (typeof version !== 'string') {
    throw new NerError('NER_ERR_MODEL_PRODUCTION_POINTER', 'expected {"version": "<model version>"}', { file: path });
  }
  return version;
}

/** Loads and verifies a model version (default: the production one). Never hands an unchecked file to CRFsuite. */
export async function loadModel(modelsDir: string, version?: string): Promise<LoadedModel> {
  const chosen = version ?? (await readProductionVersion(modelsDir));
  assertVersionName(chosen);
  const directory = join(modelsDir, chosen);
  const cardPath = join(directory, CARD_FILE);
  const card = parseModelCard((await readOrNotFound(cardPath, 'model card')).toString('utf8'), cardPath);
  const templates = resolveTemplates(card.templates);
  const crfBytes = await readVerified(directory, card.files.model, 'model file');
  const weights = parseCrfsuiteModel(crfBytes);
  const resourceFiles: ResourceFiles = {};
  for (const digest of card.files.resources) {
    (resourceFiles as Record<string, Buffer>)[basename(digest.path)] = await readVerified(directory, digest, `resource file ${digest.path}`);
  }
  const resources = parseResources(resourceFiles, directory);
  const spanRules = resolveSpanRules(card.spanRules ?? []);
  const model = createCrfNerModel({ version: card.version, labelEncoding: card.labelEncoding, templates, weights, resources, spanRules });
  return { card, model, directory };
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

export async function setProductionVersion(modelsDir: string, version: string): Promise<void> {
  assertVersionName(version);
  await stat(join(modelsDir, version, CARD_FILE)).catch((cause: unknown) => {
    throw new NerError('NER_ERR_MODEL_NOT_FOUND', `no model version ${version}`, { file: join(modelsDir, version), cause });
  });
  const path = join(modelsDir, PRODUCTION_POINTER);
  const staging = `${path}.tmp-${process.pid}`;
  await writeFile(staging, `${JSON.stringify({ version, promotedAt: new Date().toISOString() }, null, 2)}\n`);
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
