import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { extract, type SequenceTagger } from '../core/extract.js';
import { parseNoteLine } from '../corpus/inbox.js';
import { NerError } from '../errors.js';
import { loadModel } from '../registry/model-store.js';
import { servingLoadOptions } from '../registry/serving-options.js';
import { parseCommandArgs, type CliContext, type Command } from './command.js';

const usage = 'behealthy extract [TEXT | --file FILE | < stdin] [--jsonl] [--models DIR] [--model VERSION] [--pretty | --compact]';

/** JSONL in, JSONL out, in input order, one line at a time; a bad line is reported and skipped. */
async function extractJsonl(input: NodeJS.ReadableStream, source: string, model: SequenceTagger, { stdout, stderr }: CliContext): Promise<number> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  let skipped = 0;
  let written = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    const parsed = parseNoteLine(line);
    if ('problem' in parsed) {
      skipped++;
      stderr.write(`${source}:${lineNumber}: skipped: ${parsed.problem}\n`);
      continue;
    }
    const record = extract(parsed.text, model, parsed.id || `line-${lineNumber}`);
    if (!stdout.write(`${JSON.stringify(record)}\n`)) await new Promise((done) => stdout.once('drain', done));
    written++;
  }
  stderr.write(`${written} record(s) written, ${skipped} line(s) skipped\n`);
  return 0;
}

/** A read stream once the file is open, so a missing file is a clear error before any output (and nothing is read twice). */
function openForReading(file: string): Promise<NodeJS.ReadableStream> {
  return new Promise((resolveStream, reject) => {
    const stream = createReadStream(file);
    stream.once('open', () => resolveStream(stream));
    stream.once('error', (cause) => reject(new NerError('NER_ERR_INPUT_INVALID', 'cannot read the input file', { file, cause })));
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export const extractCommand: Command = {
  name: 'extract',
  summary: 'extract diseases, treatments and pairs from a note (argument, --file or stdin; JSONL for many notes)',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { file: { type: 'string' }, jsonl: { type: 'boolean' }, models: { type: 'string' }, model: { type: 'string' }, pretty: { type: 'boolean' }, compact: { type: 'boolean' } },
      usage,
      true,
    );
    if (positionals.length > 0 && values.file) throw new NerError('NER_ERR_CLI_USAGE', `give the note as an argument or --file, not both\nusage: ${usage}`);
    const { model } = await loadModel(values.models ? resolve(values.models) : context.config.modelDir, values.model, await servingLoadOptions(context.config));
    const jsonl = values.jsonl || values.file?.endsWith('.jsonl') || values.file?.endsWith('.ndjson');
    if (jsonl) {
      const source = values.file ?? 'stdin';
      const input = values.file ? await openForReading(values.file) : context.stdin;
      return extractJsonl(input, source, model, context);
    }
    let text: string;
    if (positionals.length > 0) text = positionals.join(' ');
    else if (values.file) {
      text = await readFile(values.file, 'utf8').catch((cause: unknown) => {
        throw new NerError('NER_ERR_INPUT_INVALID', 'cannot read the input file', { file: values.file as string, cause });
      });
    } else text = await readAll(context.stdin);
    const record = extract(text, model);
    // A person at a terminal reads it indented; a pipe or a file gets one line (--pretty / --compact override).
    const pretty = values.pretty === true || (values.compact !== true && (context.stdout as { isTTY?: boolean }).isTTY === true);
    context.stdout.write(`${JSON.stringify(record, null, pretty ? 2 : undefined)}\n`);
    return 0;
  },
};
