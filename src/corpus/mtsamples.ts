import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { describeError } from '../error-description.js';
import { NerError } from '../errors.js';

/** One MTSamples transcription (unlabelled; for benchmarks, drift and batch runs). */
export interface MtSample {
  id: string;
  specialty: string;
  text: string;
}

/** Streams the notes of an MTSamples CSV (RFC 4180, header row, multi-line quoted fields). */
export async function* readMtSamples(path: string): AsyncGenerator<MtSample> {
  const parser = createReadStream(path).pipe(parse({ columns: true, bom: true, relax_column_count: false }));
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      const text = row.transcription;
      if (typeof text !== 'string') throw new NerError('NER_ERR_INPUT_INVALID', 'no "transcription" column', { file: path, line: 1 });
      if (text.trim() === '') continue;
      yield { id: row.sample_id ?? '', specialty: row.medical_specialties ?? '', text };
    }
  } catch (cause) {
    if (cause instanceof NerError) throw cause;
    const line = (cause as { lines?: number }).lines;
    throw new NerError('NER_ERR_INPUT_INVALID', `cannot read the notes CSV: ${describeError(cause)}`, { file: path, ...(line ? { line } : {}), cause });
  }
}
