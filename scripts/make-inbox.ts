/**
 * A day of the nightly inbox built from the MTSamples notes (../shared/notes/mtsamples.csv), for trying and
 * benchmarking `behealthy batch`:
 *   node --import tsx scripts/make-inbox.ts --date 2026-12-01 [--notes 20000] [--inbox DIR]
 * Each transcription is cut at sentence ends into e-prescription-sized notes (about 60 tokens); the notes
 * go into two JSONL files and one CSV file (both inbox formats), ids `<day>-<sample>-<part>`. When the
 * transcriptions run out it goes round again with ids of a new round, so any count can be asked for.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { splitSentences } from '../src/core/text/tokenizer.js';
import { assertDay } from '../src/corpus/inbox.js';
import { readMtSamples } from '../src/corpus/mtsamples.js';

const { values } = parseArgs({ options: { date: { type: 'string' }, notes: { type: 'string', default: '20000' }, inbox: { type: 'string' }, tokens: { type: 'string', default: '60' } } });
if (!values.date) throw new Error('usage: make-inbox.ts --date YYYY-MM-DD [--notes N] [--inbox DIR]');
assertDay(values.date);
const config = loadConfig();
const wanted = Number(values.notes);
const targetTokens = Number(values.tokens);
const pieces: { sample: string; text: string }[] = [];
for await (const sample of readMtSamples(config.notesFile)) {
  let start = -1;
  let end = 0;
  let tokens = 0;
  for (const sentence of splitSentences(sample.text)) {
    if (start < 0) start = sentence.start;
    end = sentence.end;
    tokens += sentence.tokens.length;
    if (tokens >= targetTokens) {
      pieces.push({ sample: sample.id, text: sample.text.slice(start, end) });
      start = -1;
      tokens = 0;
    }
  }
  if (start >= 0 && tokens >= 10) pieces.push({ sample: sample.id, text: sample.text.slice(start, end) });
}
const notes = Array.from({ length: wanted }, (_, i) => {
  const piece = pieces[i % pieces.length] as { sample: string; text: string };
  return { id: `${values.date}-${piece.sample || 's'}-${i}`, text: piece.text };
});
const folder = join(values.inbox ?? config.inboxDir, values.date);
await rm(folder, { recursive: true, force: true });
await mkdir(folder, { recursive: true });
const third = Math.ceil(notes.length / 3);
const jsonl = (part: typeof notes) => part.map((note) => JSON.stringify(note)).join('\n') + '\n';
const csvField = (value: string) => `"${value.replace(/"/g, '""')}"`;
await writeFile(join(folder, 'notes-1.jsonl'), jsonl(notes.slice(0, third)));
await writeFile(join(folder, 'notes-2.jsonl'), jsonl(notes.slice(third, 2 * third)));
await writeFile(join(folder, 'notes-3.csv'), `id,text\n${notes.slice(2 * third).map((n) => `${csvField(n.id)},${csvField(n.text)}`).join('\n')}\n`);
console.log(JSON.stringify({ folder, notes: notes.length, distinctPieces: pieces.length, meanChars: Math.round(notes.reduce((s, n) => s + n.text.length, 0) / notes.length) }));
