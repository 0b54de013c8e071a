import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { buildTrainingProfile } from '../../src/core/evaluation/drift.js';
import { extract } from '../../src/core/extract.js';
import { driftOfNotes, notesWithRecords, NoteDriftSample, trainingProfileOf } from '../../src/monitoring/drift-check.js';
import { formatModelCard, parseModelCard, type ModelCard } from '../../src/registry/model-card.js';
import { CARD_FILE } from '../../src/registry/model-store.js';
import { readSample, sampleModel, SAMPLE_DIR, writeSampleModelsDir } from '../helpers/sample-model.js';

const THRESHOLDS = { watch: 0.02, retrain: 0.05, alert: 0.1 };
const NOTES = [
  'Chronic plaque psoriasis responded to narrowband ultraviolet B phototherapy.',
  'Low-dose aspirin reduced the incidence of stroke.',
  'Pt c/o fever x3d. Dx: typhoid. Rx: azithromycin 500mg OD',
];

const run = runCli;

describe('drift of notes (the nightly run\'s entry point)', () => {
  it('says how to add a profile when the card has none', () => {
    const card = { version: '2026-01-01.1' } as ModelCard;
    expect(() => trainingProfileOf(card)).toThrow(expect.objectContaining({ code: 'NER_ERR_DRIFT_NO_PROFILE' }));
    expect(() => trainingProfileOf(card)).toThrow(/model 2026-01-01\.1 has no training profile.*scripts\/backfill-model-card\.ts 2026-01-01\.1/);
  });

  it('uses the records given when this model extracted them, and extracts the notes otherwise', async () => {
    const { model } = await sampleModel();
    const profile = buildTrainingProfile({ sentences: await readSample('train') });
    const extracted = NOTES.map((text) => extract(text, model));
    const fromText = driftOfNotes(model, profile, NOTES, THRESHOLDS);
    const fromRecords = driftOfNotes(model, profile, NOTES.map((text, i) => ({ text, record: extracted[i] })), THRESHOLDS);
    expect(fromRecords).toEqual(fromText);
    expect(fromText.sample.entities).toBe(extracted.reduce((sum, r) => sum + r.entities.length, 0));

    const withIds = NOTES.map((text, i) => ({ id: `n${i}`, text }));
    const paired = notesWithRecords(withIds, NOTES.map((text, i) => extract(text, model, `n${i}`)).slice(1));
    expect(paired[0]).toBe(NOTES[0]);
    expect(paired[1]).toMatchObject({ text: NOTES[1], record: { noteId: 'n1' } });
    expect(driftOfNotes(model, profile, paired, THRESHOLDS)).toEqual(fromText);

    const none = { ...(extracted[0] as (typeof extracted)[number]), entities: [] };
    const reused = new NoteDriftSample(model);
    reused.add({ text: NOTES[0] as string, record: none });
    expect(reused.observer.predictions.entities).toEqual({ disease: 0, treatment: 0 });
    const stale = new NoteDriftSample(model);
    stale.add({ text: NOTES[0] as string, record: { ...none, modelVersion: 'another-version' } });
    expect(stale.observer.predictions.entities.disease + stale.observer.predictions.entities.treatment).toBe((extracted[0] as (typeof extracted)[number]).entities.length);
  });
});

describe('behealthy drift', () => {
  let modelsDir: string;
  let workDir: string;
  let jsonl: string;
  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'drift-models-'));
    workDir = await mkdtemp(join(tmpdir(), 'drift-work-'));
    await writeSampleModelsDir(modelsDir, '2026-01-01.1');
    await writeSampleModelsDir(modelsDir, '2026-01-01.2');
    const cardPath = join(modelsDir, '2026-01-01.2', CARD_FILE);
    const card = parseModelCard(await readFile(cardPath, 'utf8'), cardPath);
    await writeFile(cardPath, formatModelCard({ ...card, trainingProfile: buildTrainingProfile({ sentences: await readSample('train') }) }));
    jsonl = join(workDir, 'notes.jsonl');
    await writeFile(jsonl, [JSON.stringify({ id: 'a', text: NOTES[0] }), '{"id":"b"}', 'not json', '', JSON.stringify({ id: 'c', text: NOTES[1] })].join('\n'));
  });
  afterAll(async () => {
    await rm(modelsDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  });

  it('refuses a model whose card has no training profile, with its code, exit 1', async () => {
    const { code, stderr } = await run(['drift', '--models', modelsDir, '--model', '2026-01-01.1', '--input', jsonl]);
    expect(code).toBe(1);
    expect(stderr).toContain('[NER_ERR_DRIFT_NO_PROFILE]');
  });

  it('prints a table of the features, the score and the level, naming bad lines by number', async () => {
    const { code, stdout, stderr } = await run(['drift', '--models', modelsDir, '--model', '2026-01-01.2', '--input', jsonl]);
    expect(code).toBe(0);
    expect(stderr).toContain(`${jsonl}:2: skipped: "text" must be a string`);
    expect(stderr).toContain(`${jsonl}:3: skipped: not valid JSON`);
    expect(stderr).toContain('2 note(s) read, 2 skipped');
    for (const feature of ['sentence-length', 'token-shape', 'vocabulary', 'out-of-vocabulary', 'entity-density', 'labels']) expect(stdout).toContain(feature);
    expect(stdout).toMatch(/drift score \d\.\d{4} \(the largest feature score: [a-z-]+\) → (NONE|WATCH|RETRAIN|ALERT)/);
    expect(stdout).toContain('warning: the sample holds');
    for (const note of NOTES) expect(stdout).not.toContain(note.slice(0, 20));
  });

  it('reads a CSV with a text column, and prints JSON with --json', async () => {
    const csv = join(workDir, 'notes.csv');
    await writeFile(csv, `id,text\n1,"${NOTES[0]}"\n2,\n3,"${NOTES[2]}"\n`);
    const { code, stdout, stderr } = await run(['drift', '--models', modelsDir, '--model', '2026-01-01.2', '--input', csv, '--json']);
    expect(code).toBe(0);
    expect(stderr).toContain(`${csv}:3: skipped: no text`);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ model: '2026-01-01.2', source: csv, notes: 2, skipped: 1, thresholds: THRESHOLDS });
    expect(result.features).toHaveLength(6);
    expect(['none', 'watch', 'retrain', 'alert']).toContain(result.level);
  });

  it('names a CSV without a text column, and a file it cannot read', async () => {
    const csv = join(workDir, 'other.csv');
    await writeFile(csv, 'id,body\n1,fever\n');
    const bad = await run(['drift', '--models', modelsDir, '--model', '2026-01-01.2', '--input', csv]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${csv}:1: the header names no text column (text or transcription); it has: id, body [NER_ERR_INPUT_INVALID]`);
    const missing = join(workDir, 'missing.jsonl');
    const gone = await run(['drift', '--models', modelsDir, '--model', '2026-01-01.2', '--input', missing]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`${missing}: cannot read the input file [NER_ERR_INPUT_INVALID]`);
  });

  it('checks a corpus split, tagging its sentences as given', async () => {
    const { code, stdout } = await run(['drift', '--models', modelsDir, '--model', '2026-01-01.2', '--split', 'test', '--corpus', SAMPLE_DIR, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.source).toBe('the test split');
    expect(result.sample.sentences).toBeGreaterThan(5);
  });

  it('wants exactly one of --input and --split (exit 2)', async () => {
    expect((await run(['drift', '--models', modelsDir])).code).toBe(2);
    expect((await run(['drift', '--models', modelsDir, '--input', jsonl, '--split', 'test'])).code).toBe(2);
    expect((await run(['drift', '--models', modelsDir, '--input', 'notes.txt'])).code).toBe(2);
    expect((await run(['drift', '--models', modelsDir, '--split', 'dev'])).code).toBe(2);
  });
});
