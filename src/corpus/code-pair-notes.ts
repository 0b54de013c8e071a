import { readDataTable } from './data-table.js';
import { NerError } from '../errors.js';
import type { CodePairNote } from '../core/evaluation/code-pair-evaluation.js';

/**
 * Notes annotated with codes, ingredients and pairs (corpus/pairs/notes.jsonl): one JSON object a line,
 * `{ id, split?, text, diseases: [{ text, icd10cm }], drugs: [{ text, generic: [..] }], pairs: [{ disease, treatment }] }`,
 * every name as it is written in the text. A bad line is reported with its file and line number.
 */
export async function readCodePairNotes(path: string): Promise<CodePairNote[]> {
  const text = await readDataTable(path, 'annotated notes', 'NER_ERR_INPUT_INVALID');
  const notes: CodePairNote[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const fail = (message: string): never => {
      throw new NerError('NER_ERR_INPUT_INVALID', message, { file: path, line: index + 1 });
    };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fail('not a JSON object');
    }
    const note = value as Partial<CodePairNote>;
    if (typeof note.id !== 'string' || typeof note.text !== 'string') fail('expected "id" and "text" strings');
    const noteText = note.text as string;
    const inText = (name: unknown, what: string): string => (typeof name === 'string' && name !== '' && noteText.includes(name) ? name : fail(`${what} ${JSON.stringify(name)} is not written in the note's text`));
    if (!Array.isArray(note.diseases) || !Array.isArray(note.drugs) || !Array.isArray(note.pairs)) fail('expected "diseases", "drugs" and "pairs" arrays');
    notes.push({
      id: note.id as string,
      ...(typeof note.split === 'string' ? { split: note.split } : {}),
      text: noteText,
      diseases: (note.diseases as { text: unknown; icd10cm: unknown }[]).map((d) => ({ text: inText(d.text, 'disease'), icd10cm: typeof d.icd10cm === 'string' && /^[A-Z]\d/.test(d.icd10cm) ? d.icd10cm : fail(`disease ${JSON.stringify(d.text)}: "icd10cm" must be an ICD-10-CM code`) })),
      drugs: (note.drugs as { text: unknown; generic: unknown }[]).map((d) => ({ text: inText(d.text, 'drug'), generic: Array.isArray(d.generic) && d.generic.every((g) => typeof g === 'string') ? (d.generic as string[]) : fail(`drug ${JSON.stringify(d.text)}: "generic" must be a list of names`) })),
      pairs: (note.pairs as { disease: unknown; treatment: unknown }[]).map((p) => ({ disease: inText(p.disease, 'pair disease'), treatment: inText(p.treatment, 'pair treatment') })),
    });
  });
  return notes;
}
