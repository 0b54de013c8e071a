import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { SAMPLE_DIR, writeSampleModelsDir } from '../helpers/sample-model.js';

const ROOT = join(import.meta.dirname, '../..');

const run = runCli;

describe('behealthy CLI', () => {
  let modelsDir: string;
  let workDir: string;
  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'cli-models-'));
    workDir = await mkdtemp(join(tmpdir(), 'cli-work-'));
    await writeSampleModelsDir(modelsDir);
  });
  afterAll(async () => {
    await rm(modelsDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  });

  it('extracts a note given as an argument, as one JSON record', async () => {
    const { code, stdout } = await run(['extract', '--models', modelsDir, 'Chronic plaque psoriasis responded to narrowband ultraviolet B phototherapy.']);
    expect(code).toBe(0);
    const record = JSON.parse(stdout);
    expect(record.diseases.map((e: { text: string }) => e.text)).toEqual(['Chronic plaque psoriasis']);
    expect(record.modelVersion).toBe('2026-01-01.1');
  });

  it('indents the record for a terminal, keeps it on one line for a pipe, and --compact / --pretty decide otherwise', async () => {
    const note = 'Aspirin for stroke.';
    const onTerminal = async (argv: string[]): Promise<string> => {
      const stdout = Object.assign(new PassThrough(), { isTTY: true });
      let out = '';
      stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      expect(await main(argv, { stdout, stderr: new PassThrough() as unknown as NodeJS.WriteStream, stdin: Readable.from(['']) })).toBe(0);
      return out;
    };
    const indented = await onTerminal(['extract', '--models', modelsDir, note]);
    expect(indented.split('\n').length).toBeGreaterThan(5);
    expect(indented).toContain('\n  "modelVersion": "2026-01-01.1"');
    expect((await onTerminal(['extract', '--models', modelsDir, '--compact', note])).trim().split('\n')).toHaveLength(1);
    expect((await run(['extract', '--models', modelsDir, note])).stdout.trim().split('\n')).toHaveLength(1);
    expect((await run(['extract', '--models', modelsDir, '--pretty', note])).stdout.split('\n').length).toBeGreaterThan(5);
  });

  it('stops quietly with exit 0 when its reader goes away (`| head -c 10`), JSONL or one note', async () => {
    const notes = join(workDir, 'many.jsonl');
    await writeFile(notes, Array.from({ length: 3_000 }, (_, i) => JSON.stringify({ id: `n${i}`, text: 'Lung cancer treated with chemotherapy.' })).join('\n'));
    const bin = join(ROOT, 'src/cli/bin.ts');
    for (const args of [`extract --models ${modelsDir} --file ${notes}`, `extract --models ${modelsDir} "Aspirin for stroke."`]) {
      const { stdout } = await promisify(execFile)('bash', ['-c', `node --import tsx ${bin} ${args} 2>${join(workDir, 'epipe.err')} | head -c 10; echo " \${PIPESTATUS[0]}"; cat ${join(workDir, 'epipe.err')}`], { cwd: ROOT });
      const [head, ...rest] = stdout.split('\n');
      expect(head?.slice(10).trim(), args).toBe('0');
      expect(rest.join('\n'), args).not.toMatch(/EPIPE|Error|at /);
    }
  });

  it('says where it looked and what records runs when there are none', async () => {
    const empty = join(workDir, 'no-runs');
    const { code, stdout } = await run(['runs', 'list', '--runs', empty]);
    expect(code).toBe(0);
    expect(stdout).toContain(`no runs recorded in ${empty} (RUNS_DIR, or --runs DIR)`);
    expect(stdout).toContain('`behealthy train`');
    expect((await run(['runs', 'list', '--runs', empty, '--kind', 'retrain'])).stdout).toContain('no retrain runs recorded');
  });

  it('reads a note from stdin', async () => {
    const { code, stdout } = await run(['extract', '--models', modelsDir], 'Low-dose aspirin reduced the incidence of stroke.');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toHaveProperty('entities');
  });

  it('turns JSONL into one record per line in input order, reporting and skipping bad lines by number', async () => {
    const input = join(workDir, 'notes.jsonl');
    await writeFile(input, ['{"id":"a","text":"fever"}', '{"id":"b"}', 'not json', '', '{"id":"c","text":"Low-dose aspirin"}', '{"text":"no id"}'].join('\n'));
    const { code, stdout, stderr } = await run(['extract', '--models', modelsDir, '--file', input]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l).noteId)).toEqual(['a', 'c', 'line-6']);
    expect(stderr).toContain(`${input}:2: skipped: "text" must be a string`);
    expect(stderr).toContain(`${input}:3: skipped: not valid JSON`);
    expect(stderr).toContain('3 record(s) written, 2 line(s) skipped');
  });

  it('names a JSONL input file that cannot be read, and exits 1', async () => {
    const missing = join(workDir, 'missing.jsonl');
    const { code, stderr } = await run(['extract', '--models', modelsDir, '--file', missing]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${missing}: cannot read the input file [NER_ERR_INPUT_INVALID]`);
  });

  it('evaluates a model on a corpus split as JSON with strict, partial and token scores', async () => {
    const { code, stdout } = await run(['evaluate', '--models', modelsDir, '--corpus', SAMPLE_DIR, '--split', 'test', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    for (const level of ['strict', 'partial']) {
      for (const type of ['disease', 'treatment', 'micro']) {
        expect(Object.keys(report[level][type]).sort()).toEqual(['f1', 'precision', 'recall', 'support']);
      }
    }
    expect(report.strict.micro.support).toBe(report.strict.disease.support + report.strict.treatment.support);
    expect(report.token.weighted.f1).toBeGreaterThan(0);
  });

  it('evaluates on the split in one case, on annotated notes, and the assertion rules on gold spans', async () => {
    const upper = JSON.parse((await run(['evaluate', '--models', modelsDir, '--corpus', SAMPLE_DIR, '--case', 'upper', '--json'])).stdout);
    expect(upper.case).toBe('upper');
    expect(Object.keys(upper.reliability).sort()).toEqual(['bins', 'count', 'ece']);
    const bad = await run(['evaluate', '--models', modelsDir, '--corpus', SAMPLE_DIR, '--case', 'title']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--case must be lower or upper');

    const marked = join(workDir, 'notes.marked.txt');
    await writeFile(marked, '## n1\nPt c/o [fever]{D}. No h/o [asthma]{D:absent}.\nRx: tab [azithromycin]{T} 500mg OD\n\n## n2\nMother had [breast cancer]{D:family}.\n');
    const notes = JSON.parse((await run(['evaluate', '--models', modelsDir, '--notes', marked, '--json'])).stdout);
    expect(notes.notes).toBe(marked);
    expect(notes.strict.micro.support).toBe(4);
    const assertions = JSON.parse((await run(['evaluate', '--assertions', marked, '--json'])).stdout);
    expect(assertions.total).toBe(4);
    expect(assertions.perClass.absent).toMatchObject({ support: 1, correct: 1 });
    expect(assertions.perClass.family).toMatchObject({ support: 1, correct: 1 });
    const table = await run(['evaluate', '--assertions', marked]);
    expect(table.stdout).toMatch(/^overall\s+4\s+4\s+1\.000/m);

    await writeFile(marked, '## n1\n[fever]{X}\n');
    const broken = await run(['evaluate', '--assertions', marked]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${marked}:2`);
  });

  it('trains, cross-validates and writes a model version with its card', async () => {
    const out = join(workDir, 'models');
    const { code, stdout, stderr } = await run([
      'train', '--corpus', SAMPLE_DIR, '--models', out, '--runs', join(workDir, 'runs'), '--templates', 'lower,suffix,shape', '--folds', '2', '--iterations', '20', '--version', 'cli-test.1', '--promote', '--json',
    ]);
    expect(stderr).toContain('fold 1');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.version).toBe('cli-test.1');
    expect(result.metrics.crossValidation.folds).toBe(2);
    expect(result.metrics.test.strict.micro).toHaveProperty('f1');
    const card = JSON.parse(await readFile(join(out, 'cli-test.1', 'model-card.json'), 'utf8'));
    expect(card.templates).toEqual(['lower', 'suffix', 'shape']);
    expect(card.data.files.map((f: { path: string }) => f.path)).toEqual(['train_sent', 'train_label']);
    expect(card.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The drift profile: the train split, and every train sentence once in the out-of-fold predictions.
    expect(card.trainingProfile).toMatchObject({ sentences: card.data.sentences, tokens: card.data.tokens });
    expect(card.trainingProfile.predictions).toMatchObject({ source: 'out-of-fold', folds: 2, sentences: card.data.sentences, tokens: card.data.tokens });
    expect(JSON.parse(await readFile(join(out, 'production.json'), 'utf8')).version).toBe('cli-test.1');
    expect((await readdir(out)).sort()).toEqual(['cli-test.1', 'production-history.jsonl', 'production.json']);
  });

  it('names the file and line of a bad corpus, and exits 1', async () => {
    const corpus = join(workDir, 'bad-corpus');
    await rm(corpus, { recursive: true, force: true });
    await mkdir(corpus);
    await writeFile(join(corpus, 'test_sent'), 'Aspirin\nhelps\n');
    await writeFile(join(corpus, 'test_label'), 'T\nX\n');
    const { code, stderr } = await run(['evaluate', '--models', modelsDir, '--corpus', corpus]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(corpus, 'test_label')}:2:`);
    expect(stderr).toContain('NER_ERR_CORPUS_UNKNOWN_LABEL');
  });

  it('answers unknown commands and options with usage and exit code 2', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    const { code, stderr } = await run(['extract', '--nope']);
    expect(code).toBe(2);
    expect(stderr).toContain('NER_ERR_CLI_USAGE');
  });

  it('ingest: names its one source, amqp, and checks --prefetch before connecting anywhere', async () => {
    for (const argv of [['ingest'], ['ingest', 'kafka'], ['ingest', 'amqp', 'amqp'], ['ingest', 'amqp', '--prefetch', '0'], ['ingest', 'amqp', '--prefetch', 'many'], ['ingest', 'amqp', '--nope']]) {
      const { code, stderr } = await run(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toContain('NER_ERR_CLI_USAGE');
    }
    expect((await run(['ingest', '--help'])).stdout).toContain('behealthy ingest amqp');
  });

  it('prints nothing but the JSON record on stdout when run as a process (no library banners)', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'extract', '--models', modelsDir, 'Aspirin for stroke.'],
      { cwd: ROOT },
    );
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toHaveProperty('modelVersion', '2026-01-01.1');
  });
});
