import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { DriftResult } from '../core/evaluation/drift.js';
import { readBeHealthySplit } from '../corpus/behealthy-format.js';
import { parseNoteLine } from '../corpus/inbox.js';
import { describeError } from '../error-description.js';
import { NerError } from '../errors.js';
import { NoteDriftSample, trainingProfileOf } from '../monitoring/drift-check.js';
import { loadModel } from '../registry/model-store.js';
import { numberOption, parseCommandArgs, type CliContext, type Command } from './command.js';

const usage =
  'behealthy drift (--input FILE.jsonl|FILE.csv | --split test|train) [--limit N] [--json] [--models DIR] [--model VERSION] [--corpus DIR]';

/** The CSV columns read as a note's text, in order of preference (`text`: the inbox; `transcription`: MTSamples). */
const TEXT_COLUMNS = ['text', 'transcription'];

/** A file opened for reading, so a missing file is a clear error before anything else. */
function openForReading(file: string): Promise<NodeJS.ReadableStream> {
  return new Promise((resolveStream, reject) => {
    const stream = createReadStream(file);
    stream.once('open', () => resolveStream(stream));
    stream.once('error', (cause) => reject(new NerError('NER_ERR_INPUT_INVALID', 'cannot read the input file', { file, cause })));
  });
}

/** Notes of a JSONL file, one `{"id","text"}` a line; a bad line is reported with its number and skipped. */
async function* jsonlNotes(file: string, skip: (line: number, problem: string) => void): AsyncGenerator<string> {
  const lines = createInterface({ input: await openForReading(file), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    const parsed = parseNoteLine(line);
    if ('problem' in parsed) skip(lineNumber, parsed.problem);
    else yield parsed.text;
  }
}

/** Notes of a CSV file with a header row and a `text` (or MTSamples' `transcription`) column. */
async function* csvNotes(file: string, skip: (line: number, problem: string) => void): AsyncGenerator<string> {
  const parser = (await openForReading(file)).pipe(parse({ columns: true, bom: true, info: true, skip_empty_lines: true }));
  let column: string | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) {
      column ??= TEXT_COLUMNS.find((name) => name in record);
      if (!column) {
        throw new NerError('NER_ERR_INPUT_INVALID', `the header names no text column (${TEXT_COLUMNS.join(' or ')}); it has: ${Object.keys(record).join(', ')}`, { file, line: 1 });
      }
      const text = record[column];
      if (typeof text !== 'string' || text.trim() === '') skip(info.lines, `no ${column}`);
      else yield text;
    }
  } catch (cause) {
    if (cause instanceof NerError) throw cause;
    const line = (cause as { lines?: number }).lines;
    throw new NerError('NER_ERR_INPUT_INVALID', `not a readable CSV file: ${describeError(cause)}`, { file, ...(line ? { line } : {}), cause });
  }
}

const fixed = (value: number, digits = 4): string => value.toFixed(digits);

function measureValue(name: string, value: number): string {
  if (name === 'sentence-length') return value.toFixed(1);
  if (name === 'entity-density') return value.toFixed(2);
  return `${(100 * value).toFixed(1)}%`;
}

/** The result as a table for people. */
export function formatDrift(result: DriftResult, heading: string): string {
  const rows = result.features.map((f) => [f.name, fixed(f.score), fixed(f.divergence), fixed(f.noise), `${f.measure}: ${measureValue(f.name, f.reference)} → ${measureValue(f.name, f.sample)}`]);
  const header = ['feature', 'score', 'JS', 'noise', 'training → sample'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  const { watch, retrain, alert } = result.thresholds;
  return [
    heading,
    '',
    line(header),
    ...rows.map(line),
    '',
    `drift score ${fixed(result.score)} (the largest feature score: ${result.drivenBy}) → ${result.level.toUpperCase()}`,
    `levels: none below ${watch}, watch from ${watch}, retrain from ${retrain}, alert from ${alert}`,
    ...result.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}

export const driftCommand: Command = {
  name: 'drift',
  summary: 'compare notes (JSONL or CSV) or a corpus split, and the model\'s predictions on them, with the training data',
  usage,
  async run(argv, context: CliContext) {
    const { config, stdout, stderr } = context;
    const { values } = parseCommandArgs(
      argv,
      {
        input: { type: 'string' }, split: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' },
        models: { type: 'string' }, model: { type: 'string' }, corpus: { type: 'string' },
      },
      usage,
    );
    if ((values.input === undefined) === (values.split === undefined)) throw new NerError('NER_ERR_CLI_USAGE', `give --input FILE or --split test|train\nusage: ${usage}`);
    if (values.split !== undefined && values.split !== 'test' && values.split !== 'train') throw new NerError('NER_ERR_CLI_USAGE', `--split must be test or train, got "${values.split}"`);
    const input = values.input;
    if (input !== undefined && !/\.(jsonl|ndjson|csv)$/i.test(input)) throw new NerError('NER_ERR_CLI_USAGE', `--input must be a .jsonl, .ndjson or .csv file, got "${input}"`);
    const limit = numberOption(values.limit, 'limit', Infinity);
    if (!(limit > 0)) throw new NerError('NER_ERR_CLI_USAGE', `--limit must be a positive number, got "${values.limit}"`);

    const { model, card } = await loadModel(values.models ? resolve(values.models) : config.modelDir, values.model);
    const profile = trainingProfileOf(card);
    const sample = new NoteDriftSample(model);
    let skipped = 0;
    let source: string;
    if (input !== undefined) {
      source = input;
      const skip = (line: number, problem: string): void => {
        skipped++;
        stderr.write(`${input}:${line}: skipped: ${problem}\n`);
      };
      const notes = /\.csv$/i.test(input) ? csvNotes(input, skip) : jsonlNotes(input, skip);
      for await (const text of notes) {
        sample.add(text);
        if (sample.notes >= limit) break;
      }
    } else {
      const split = values.split as 'test' | 'train';
      source = `the ${split} split`;
      const { sentences } = await readBeHealthySplit(values.corpus ? resolve(values.corpus) : config.corpusDir, split);
      for (const sentence of sentences.slice(0, Number.isFinite(limit) ? limit : undefined)) sample.addSentence(sentence.tokens);
    }
    const result = sample.compare(profile, config.driftThresholds);
    const counted = input !== undefined ? `${sample.notes} notes, ` : '';
    if (input !== undefined) stderr.write(`${sample.notes} note(s) read, ${skipped} skipped\n`);
    if (values.json) {
      stdout.write(`${JSON.stringify({ model: card.version, source, notes: input !== undefined ? sample.notes : null, skipped, ...result })}\n`);
      return 0;
    }
    const heading =
      `drift of ${source} (${counted}${result.sample.sentences} sentences, ${result.sample.tokens} tokens, ${result.sample.entities} entities predicted) ` +
      `from the training data of model ${card.version} (${result.reference.sentences} sentences, ${result.reference.tokens} tokens; predictions: ${result.reference.predictions})`;
    stdout.write(`${formatDrift(result, heading)}\n`);
    return 0;
  },
};
