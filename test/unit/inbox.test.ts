import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDay, readInboxDay } from '../../src/corpus/inbox.js';
import { isNerError } from '../../src/errors.js';

describe('readInboxDay', () => {
  let inbox: string;
  beforeAll(async () => {
    inbox = await mkdtemp(join(tmpdir(), 'inbox-'));
    const day = join(inbox, '2026-03-04');
    await mkdir(day, { recursive: true });
    await writeFile(join(day, 'a.jsonl'), [
      JSON.stringify({ id: 'n1', text: 'Pt c/o fever x3d. Dx: typhoid.' }),
      '',
      '{"id": "n2", "text": ',
      JSON.stringify({ text: 'no id here' }),
      JSON.stringify({ id: 7, text: 'Asthma, on salbutamol.', clinic: 'ignored' }),
      JSON.stringify({ id: 'n1', text: 'a second n1' }),
    ].join('\r\n'));
    await writeFile(join(day, 'b.csv'), 'text,id,doctor\n"Gout; started ""allopurinol""\nnext line",c1,dr x\n,c2,dr y\nmigraine,,dr z\n');
    await writeFile(join(day, 'c.csv'), 'note,body\nx,y\n');
    await writeFile(join(day, 'README.txt'), 'not a note file');
  });
  afterAll(() => rm(inbox, { recursive: true, force: true }));

  it('reads JSONL and CSV files in name order, reporting each bad line with its file and line', async () => {
    const day = await readInboxDay(inbox, '2026-03-04');
    expect(day.notes).toEqual([
      { id: 'n1', text: 'Pt c/o fever x3d. Dx: typhoid.' },
      { id: '7', text: 'Asthma, on salbutamol.' },
      { id: 'c1', text: 'Gout; started "allopurinol"\nnext line' },
      { id: 'c2', text: '' },
    ]);
    expect(day.problems).toEqual([
      { file: 'a.jsonl', line: 3, reason: expect.stringMatching(/^not valid JSON/) },
      { file: 'a.jsonl', line: 4, reason: expect.stringMatching(/no id/) },
      { file: 'a.jsonl', line: 6, noteId: 'n1', reason: 'note id already seen at a.jsonl:1; this one is skipped' },
      { file: 'b.csv', line: 5, reason: expect.stringMatching(/no id/) },
      { file: 'c.csv', line: 1, reason: expect.stringMatching(/"id" and a "text" column/) },
    ]);
    expect(day.files.map((f) => [f.name, f.notes])).toEqual([['a.jsonl', 2], ['b.csv', 2], ['c.csv', 0]]);
    expect(JSON.stringify(day.problems)).not.toContain('second n1');
  });

  it('gives the same digest for the same files and a different one when a file changes', async () => {
    const first = await readInboxDay(inbox, '2026-03-04');
    expect((await readInboxDay(inbox, '2026-03-04')).sha256).toBe(first.sha256);
    await writeFile(join(inbox, '2026-03-04', 'd.jsonl'), `${JSON.stringify({ id: 'd1', text: 'late export' })}\n`);
    expect((await readInboxDay(inbox, '2026-03-04')).sha256).not.toBe(first.sha256);
  });

  it('loses one record, not the file, to a CSV record with an unclosed quote; no reason quotes a note', async () => {
    const secret = 'ZEBRA-7731-Jane-Roe';
    const folder = join(inbox, '2026-03-06');
    await mkdir(folder, { recursive: true });
    const good = Array.from({ length: 100 }, (_, i) => `u${i},"Asthma, visit ${i}."`);
    await writeFile(join(folder, 'a.csv'), `id,text\n${good.slice(0, 50).join('\n')}\nmid,"${secret} unclosed\n${good.slice(50).join('\n')}\nlast,"${secret} unclosed too\n`);
    await writeFile(join(folder, 'b.jsonl'), [`${secret} plain text`, `{"id": "j1", "text": "${secret}`, `{"id": "j2", "text": "${secret}" }}`, JSON.stringify({ id: 'j3', text: 'ok' })].join('\n'));
    const day = await readInboxDay(inbox, '2026-03-06');
    expect(day.notes).toHaveLength(101);
    expect(day.files.map((f) => [f.name, f.notes])).toEqual([['a.csv', 100], ['b.jsonl', 1]]);
    expect(day.problems).toEqual([
      { file: 'a.csv', line: 52, reason: expect.stringMatching(/quote/) },
      { file: 'a.csv', line: 103, reason: expect.stringMatching(/never closed/) },
      { file: 'b.jsonl', line: 1, reason: 'not valid JSON: an unexpected character where a value should start (column 1)' },
      { file: 'b.jsonl', line: 2, reason: 'not valid JSON: a string is not closed (column 22)' },
      { file: 'b.jsonl', line: 3, reason: 'not valid JSON: more characters after the JSON value (column 45)' },
    ]);
    expect(JSON.stringify(day.problems)).not.toContain(secret.slice(0, 5));
  });

  it('refuses a day without a folder, and a date that is not one', async () => {
    await expect(readInboxDay(inbox, '2026-03-05')).rejects.toSatisfy((error: unknown) => isNerError(error, 'NER_ERR_INBOX_DAY_MISSING') && /2026-03-05/.test((error as Error).message));
    for (const bad of ['2026-02-30', '2026-3-4', 'yesterday']) expect(() => assertDay(bad)).toThrow(/YYYY-MM-DD/);
  });
});
