/**
 * The form names are compared in: lower case, accents removed, punctuation dropped, each word singular,
 * roman numerals after type/stage/grade/class as digits, filler words left out, and the words sorted, so
 * "Diabetes mellitus, type II" and "type 2 diabetes mellitus" have one key, as do "UTIs" and "UTI".
 */

const FILLER = new Set(['the', 'of', 'a', 'an', 'and', 'or', 'in', 'on', 'to', 'by', 'due', 'disease', 'disorder', 'nos', 's']);
const ROMAN: Readonly<Record<string, string>> = { i: '1', ii: '2', iii: '3', iv: '4', v: '5' };
const NUMBERED = new Set(['type', 'stage', 'grade', 'class']);
const WORD = /[a-z0-9]+/g;
const CANCER = new Set(['cancer', 'cancers', 'carcinoma', 'carcinomas', 'malignancy']);

/** "infections" → "infection", "allergies" → "allergy"; -ss, -us, -is words and short words stay. */
export function singular(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) return word.slice(0, -1);
  return word;
}

/** British spellings as American ones (anaemia, oedema, diarrhoea, tumour), as ICD-10-CM writes them. */
export function american(word: string): string {
  if (word.length < 5) return word;
  return word.replace(/ae/g, 'e').replace(/oe/g, 'e').replace(/our$/, 'or');
}

/** Long bones, whose ends ICD-10-CM names "lower end" and "upper end" where notes write distal and proximal. */
const LONG_BONES = new Set(['radius', 'ulna', 'humerus', 'femur', 'tibia', 'fibula']);
const BONE_END: Readonly<Record<string, readonly string[]>> = { distal: ['lower', 'end'], proximal: ['upper', 'end'] };

/** The words of a name in comparison form, in their order (filler words kept out). */
export function nameWords(name: string): string[] {
  const plain = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  const words: string[] = [];
  let previous = '';
  for (const match of plain.matchAll(WORD)) {
    let word = match[0];
    if (NUMBERED.has(previous) && ROMAN[word]) word = ROMAN[word] as string;
    previous = word;
    if (FILLER.has(word)) continue;
    // "distal radius fracture" is the index's "fracture of lower end of radius".
    if (LONG_BONES.has(word) && BONE_END[words[words.length - 1] as string]) words.splice(-1, 1, ...(BONE_END[words[words.length - 1] as string] as readonly string[]));
    // ICD-10-CM names cancers "malignant neoplasm of …".
    if (CANCER.has(word)) words.push('malignant', 'neoplasm');
    else words.push(singular(american(word)));
  }
  return words;
}

/** The key a name is looked up by: its words in comparison form, sorted, space-joined ('' when none). */
export function nameKey(name: string): string {
  return keyOfWords(nameWords(name));
}

export function keyOfWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : [...words].sort().join(' ');
}
