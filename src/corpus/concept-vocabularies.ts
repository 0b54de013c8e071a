import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NerError } from '../errors.js';
import { buildConceptIndex, type ConceptIndex, type ConceptVocabularies, type DoidRow, type DrugRow, type IcdRow } from '../core/clinical/concept-codes/concept-index.js';

/**
 * Reads the vocabularies concept codes come from (../shared/lexicons: icd10cm.tsv, doid.tsv, drugs.tsv; see its
 * README) and builds the index once; a process keeps it for every model it serves.
 */

export const CONCEPT_FILES = { icd10cm: 'icd10cm.tsv', doid: 'doid.tsv', drugs: 'drugs.tsv' } as const;

async function readTable(path: string, columns: readonly string[]): Promise<{ rows: string[][]; at: (row: string[], name: string) => string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new NerError('NER_ERR_LEXICON_INVALID', `cannot read the vocabulary (expected a TSV with columns ${columns.join(', ')})`, { file: path, cause });
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split('\t');
  const index = new Map(header.map((name, i) => [name, i]));
  for (const name of columns) {
    if (!index.has(name)) throw new NerError('NER_ERR_LEXICON_INVALID', `missing column "${name}" in the header`, { file: path, line: 1 });
  }
  const rows = lines.slice(1).filter((line) => line.length > 0).map((line) => line.split('\t'));
  // A field split from the file is a slice of it: one kept field would keep the whole file's text alive.
  return { rows, at: (row, name) => own(row[index.get(name) as number] ?? '') };
}

/** A copy of a string that does not point into the text it was cut from. */
const own = (value: string): string => (value.length < 13 ? value : `${value} `.slice(0, -1));

const list = (value: string): string[] => value.split('|').map((s) => s.trim()).filter((s) => s !== '');

export async function readConceptVocabularies(lexiconDir: string): Promise<ConceptVocabularies> {
  const icd = await readTable(join(lexiconDir, CONCEPT_FILES.icd10cm), ['code', 'description']);
  const doid = await readTable(join(lexiconDir, CONCEPT_FILES.doid), ['id', 'name', 'synonyms', 'icd10cm_xrefs']);
  const drugs = await readTable(join(lexiconDir, CONCEPT_FILES.drugs), ['name', 'kind', 'norm', 'maps_to', 'ref']);
  const icd10cm: IcdRow[] = icd.rows.map((row) => ({ code: icd.at(row, 'code'), description: icd.at(row, 'description') }));
  const doidRows: DoidRow[] = doid.rows.map((row) => ({ id: doid.at(row, 'id'), name: doid.at(row, 'name'), synonyms: list(doid.at(row, 'synonyms')), icd10cm: list(doid.at(row, 'icd10cm_xrefs')) }));
  const drugRows: DrugRow[] = drugs.rows.map((row) => ({
    name: drugs.at(row, 'name'),
    kind: drugs.at(row, 'kind') === 'brand' ? 'brand' : 'generic',
    norm: drugs.at(row, 'norm'),
    mapsTo: drugs.at(row, 'maps_to'),
    ref: drugs.at(row, 'ref'),
  }));
  return { icd10cm, doid: doidRows, drugs: drugRows };
}

const loaded = new Map<string, Promise<ConceptIndex>>();

/** The concept index of a lexicon directory, read and built once per process. */
export function loadConceptIndex(lexiconDir: string): Promise<ConceptIndex> {
  let index = loaded.get(lexiconDir);
  if (!index) {
    index = readConceptVocabularies(lexiconDir).then(buildConceptIndex);
    index.catch(() => loaded.delete(lexiconDir));
    loaded.set(lexiconDir, index);
  }
  return index;
}
