import { join } from 'node:path';
import { codeTest, createIndicationKnowledge, type Indication, type IndicationKnowledge } from '../core/clinical/indications.js';
import { PROJECT_ROOT } from '../config.js';
import { forEachDataRow, readDataTable } from './data-table.js';

/**
 * Reads the indication list (data/indications.tsv; the format is in data/README.md). Every malformed line is
 * NER_ERR_INDICATIONS_INVALID naming the file and line.
 */

export const SHIPPED_INDICATIONS_FILE = join(PROJECT_ROOT, 'data', 'indications.tsv');

const COLUMNS = ['name', 'atc', 'treats', 'indication', 'source'] as const;
const ATC = /^[A-Z](\d\d([A-Z]([A-Z](\d\d)?)?)?)?$/;

export function parseIndications(text: string, file: string): Indication[] {
  const indications: Indication[] = [];
  const seen = new Map<string, number>();
  forEachDataRow(text, file, COLUMNS, 'NER_ERR_INDICATIONS_INVALID', ({ fields, line, fail }) => {
    const [name, atc, treatsList, indication, source] = fields as [string, string, string, string, string];
    if (name === '' || name !== name.toLowerCase()) fail(`the name must be a lower-case generic or procedure name, got "${name}"`);
    if (atc !== '' && !ATC.test(atc)) fail(`the ATC code must be empty or an ATC code or class (e.g. C09CA, C09CA01), got "${atc}"`);
    const treats = treatsList.split(' ').filter((c) => c !== '');
    if (treats.length === 0) fail('treats names no ICD-10-CM code');
    for (const code of treats) if (!codeTest(code)) fail(`"${code}" is no ICD-10-CM category (E11), range of categories (I10-I16) or code beginning (E87.6)`);
    if (indication === '') fail('the indication is empty');
    if (source === '') fail('the source is empty');
    const first = seen.get(name);
    if (first !== undefined) fail(`${name} is already listed on line ${first}`);
    seen.set(name, line);
    indications.push({ name, treats });
  });
  return indications;
}

export async function readIndicationFile(file: string = SHIPPED_INDICATIONS_FILE): Promise<Indication[]> {
  return parseIndications(await readDataTable(file, 'indications', 'NER_ERR_INDICATIONS_INVALID'), file);
}

export async function readIndicationKnowledge(file: string = SHIPPED_INDICATIONS_FILE): Promise<IndicationKnowledge> {
  return createIndicationKnowledge(await readIndicationFile(file));
}
