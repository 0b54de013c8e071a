import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NerError } from '../errors.js';
import { ownString } from '../core/text/own-string.js';
import { buildGazetteer, type Gazetteer, type GazetteerEntry, type GazetteerKind } from '../core/tagger/gazetteer.js';
import { tokenize } from '../core/text/tokenizer.js';
import { gunzipLines, gzipLines } from './gzip-lines.js';

/**
 * Reads the open vocabularies of ../shared/lexicons (drugs.tsv, doid.tsv) into gazetteer entries, and
 * writes / reads the compact gazetteer file a model ships with, so a model runs without ../shared.
 */

export const DEFAULT_LEXICON_DIR = '../shared/lexicons';

function phraseTokens(name: string): string[] {
  return tokenize(name.toLowerCase()).map((t) => t.text);
}

async function readTsv(path: string, requiredColumns: string[]): Promise<{ rows: string[][]; column: (name: string) => number }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new NerError('NER_ERR_LEXICON_INVALID', `cannot read lexicon (expected a TSV with columns ${requiredColumns.join(', ')})`, { file: path, cause });
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split('\t');
  for (const name of requiredColumns) {
    if (!header.includes(name)) throw new NerError('NER_ERR_LEXICON_INVALID', `missing column "${name}" in the header`, { file: path, line: 1 });
  }
  const rows = lines.slice(1).filter((line) => line.length > 0).map((line) => line.split('\t'));
  return { rows, column: (name) => header.indexOf(name) };
}

/** Drug names (generic and brand, by their normalised form) and disease names with their synonyms. */
export async function readLexiconEntries(lexiconDir: string): Promise<{ entries: GazetteerEntry[]; files: string[] }> {
  const drugsPath = join(lexiconDir, 'drugs.tsv');
  const diseasesPath = join(lexiconDir, 'doid.tsv');
  const drugs = await readTsv(drugsPath, ['name', 'norm']);
  const diseases = await readTsv(diseasesPath, ['name', 'synonyms']);
  const entries: GazetteerEntry[] = [];
  const add = (name: string | undefined, kind: GazetteerKind): void => {
    const tokens = name ? phraseTokens(name) : [];
    if (tokens.length > 0) entries.push({ tokens, kind });
  };
  const norm = drugs.column('norm');
  for (const row of drugs.rows) add(row[norm], 'drug');
  const name = diseases.column('name');
  const synonyms = diseases.column('synonyms');
  for (const row of diseases.rows) {
    add(row[name], 'disease');
    for (const synonym of (row[synonyms] ?? '').split('|')) add(synonym, 'disease');
  }
  return { entries, files: [drugsPath, diseasesPath] };
}

/** One line per entry: kind, TAB, the tokens joined by single spaces; gzip-compressed. */
/**
 * One line per name (`drug|disease<TAB>tokens`), then one per known word (`known<TAB>word`: words of the
 * corpora and notes that are no misspelling, see Gazetteer.knownWords). A file without known words matches
 * names exactly.
 */
export function serializeGazetteer(gazetteer: Gazetteer): Buffer {
  const names = gazetteer.entries().map((e) => `${e.kind}\t${e.tokens.join(' ')}`);
  const known = [...(gazetteer.knownWords ?? [])].sort().map((word) => `known\t${word}`);
  return gzipLines([...names, ...known]);
}

export function parseGazetteer(bytes: Uint8Array, file: string): Gazetteer {
  const entries: GazetteerEntry[] = [];
  const knownWords = new Set<string>();
  gunzipLines(bytes, file, 'gazetteer').forEach((line, index) => {
    if (line.length === 0) return;
    const [kind, phrase] = line.split('\t');
    if (kind === 'known' && phrase) {
      knownWords.add(ownString(phrase));
      return;
    }
    if ((kind !== 'drug' && kind !== 'disease') || !phrase) {
      throw new NerError('NER_ERR_LEXICON_INVALID', 'expected "drug|disease|known<TAB>tokens"', { file, line: index + 1 });
    }
    entries.push({ kind, tokens: phrase.split(' ') });
  });
  return buildGazetteer(entries, { knownWords: knownWords.size > 0 ? knownWords : null });
}
