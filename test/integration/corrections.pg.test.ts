import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';
import { parseBeHealthy } from '../../src/corpus/behealthy-format.js';
import { createPgCorrectionStore } from '../../src/store/correction-store.js';
import { freshSchema } from '../helpers/services.js';

const run = (args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/bin.ts'), ...args], { env: { ...process.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

/** Notes written for this test, annotated by hand. */
const NOTE_1 = 'Dx: typhoid fever. Rx: azithromycin 500mg OD x5d.';
const NOTE_2 = 'Known asthma, started on salbutamol inhaler.';
const entity = (text: string, span: string, type: 'disease' | 'treatment') => ({ type, start: text.indexOf(span), end: text.indexOf(span) + span.length });

describe('behealthy corrections', () => {
  let db: Awaited<ReturnType<typeof freshSchema>>;
  let dir: string;
  beforeAll(async () => {
    db = await freshSchema();
    dir = await mkdtemp(join(tmpdir(), 'corrections-'));
  });
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports annotated notes all or none, and exports the latest correction of each note as JSONL and corpus files', async () => {
    const good = join(dir, 'good.jsonl');
    await writeFile(good, [
      { id: 'c1', text: NOTE_1, entities: [entity(NOTE_1, 'typhoid fever', 'disease')] },
      { id: 'c2', text: NOTE_2, entities: [entity(NOTE_2, 'asthma', 'disease'), entity(NOTE_2, 'salbutamol', 'treatment')] },
    ].map((n) => JSON.stringify(n)).join('\n'));
    const env = { DATABASE_SCHEMA: db.schema };
    const imported = await run(['corrections', 'import', good, '--reviewer', 'dr-a'], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 2, reviewer: 'dr-a' });

    // A later correction of c1 adds the drug; a file with a bad line stores nothing.
    const later = join(dir, 'later.jsonl');
    await writeFile(later, JSON.stringify({ id: 'c1', text: NOTE_1, entities: [entity(NOTE_1, 'typhoid fever', 'disease'), entity(NOTE_1, 'azithromycin', 'treatment')] }));
    expect((await run(['corrections', 'import', later], env)).code).toBe(0);
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, `${JSON.stringify({ id: 'c3', text: 'ok', entities: [] })}\n{"id": "c4", "text": "x", "entities": [{"type": "drug", "start": 0, "end": 1}]}\n`);
    const refused = await run(['corrections', 'import', bad], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bad\.jsonl:2: .*"disease" or "treatment"/);
    const store = createPgCorrectionStore(db.pool);
    expect(await store.countSince(null)).toBe(3);

    const out = join(dir, 'export');
    const exported = await run(['corrections', 'export', '--out', out], env);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = (await readFile(join(out, 'corrections.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; entities: unknown[]; reviewer: string });
    expect(lines.map((l) => [l.id, l.entities.length, l.reviewer])).toEqual([['c2', 2, 'dr-a'], ['c1', 2, 'import']]);
    const corpus = parseBeHealthy(await readFile(join(out, 'corrections_sent'), 'utf8'), await readFile(join(out, 'corrections_label'), 'utf8'), { sentFile: 'corrections_sent', labelFile: 'corrections_label' });
    const labelled = corpus.flatMap((s) => s.tokens.map((t, i) => `${t}/${s.labels[i]}`)).filter((l) => !l.endsWith('/O'));
    expect(labelled).toEqual(['asthma/D', 'salbutamol/T', 'typhoid/D', 'fever/D', 'azithromycin/T']);
  });

  it('refuses, before any SQL, an import whose text or id PostgreSQL cannot store; nothing is imported', async () => {
    const env = { DATABASE_SCHEMA: db.schema };
    const store = createPgCorrectionStore(db.pool);
    const before = await store.countSince(null);
    const file = join(dir, 'unstorable.jsonl');
    await writeFile(file, [
      { id: 'u1', text: NOTE_2, entities: [] },
      { id: 'u2', text: `${NOTE_1}\u0000`, entities: [entity(NOTE_1, 'typhoid fever', 'disease')] },
    ].map((n) => JSON.stringify(n)).join('\n'));
    const nul = await run(['corrections', 'import', file], env);
    expect(nul.code).toBe(1);
    expect(nul.stderr).toContain('unstorable.jsonl: note 2 of the file (id "u2"): text has a NUL character (U+0000) at offset 49, which cannot be stored; nothing was imported [NER_ERR_INPUT_INVALID]');
    const halfId = join(dir, 'half-id.jsonl');
    await writeFile(halfId, `{"id": "u\\ud800", "text": "Asthma.", "entities": []}\n`);
    expect((await run(['corrections', 'import', halfId], env)).stderr).toMatch(/note 1 of the file: id has an unpaired UTF-16 surrogate at offset 1, which cannot be stored/);
    expect(await store.countSince(null)).toBe(before);
  });
});
