import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/config.js';
import type { ModelCard } from '../../src/registry/model-card.js';
import { CARD_FILE, MODEL_FILE, sha256 } from '../../src/registry/model-store.js';

/** The two versions the repository ships; the second is production. */
export const OLDER = '2026-11-23.3';
export const PRODUCTION = '2026-12-02.1';

/** A temporary models directory holding copies of the shipped versions, production as shipped (OLDER → PRODUCTION). */
export async function copyShippedModels(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'behealthy-registry-'));
  const shipped = join(PROJECT_ROOT, 'models');
  for (const version of [OLDER, PRODUCTION]) await cp(join(shipped, version), join(dir, version), { recursive: true });
  await writeFile(join(dir, 'production.json'), `${JSON.stringify({ version: PRODUCTION, promotedAt: '2026-11-23T19:37:01.418Z' }, null, 2)}\n`);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A copy of `from` under the name `to`, its card renamed to match (as a retraining would write a new version). */
export async function copyVersion(modelsDir: string, from: string, to: string): Promise<void> {
  await cp(join(modelsDir, from), join(modelsDir, to), { recursive: true });
  await editCard(modelsDir, to, (card) => {
    card.version = to;
  });
}

export async function editCard(modelsDir: string, version: string, edit: (card: ModelCard) => void): Promise<void> {
  const path = join(modelsDir, version, CARD_FILE);
  const card = JSON.parse(await readFile(path, 'utf8')) as ModelCard;
  edit(card);
  await writeFile(path, JSON.stringify(card));
}

/** Replaces a version's model file; with `updateCard`, the card's digest is changed to match (a careless or hostile edit). */
export async function replaceModelFile(modelsDir: string, version: string, bytes: Uint8Array, updateCard: boolean): Promise<void> {
  await writeFile(join(modelsDir, version, MODEL_FILE), bytes);
  if (updateCard) {
    await editCard(modelsDir, version, (card) => {
      card.files.model.sha256 = sha256(bytes);
      card.files.model.bytes = bytes.length;
    });
  }
}
