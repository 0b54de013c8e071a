/**
 * Tokenizer and sentence splitter for clinical notes.
 *
 * Tokens follow the conventions of the MEDLINE training corpus (one token per line): brackets, commas,
 * colons, semicolons, quotes, `?`, `!`, `%`, `<`, `>`, `&`, `#` are tokens of their own, while hyphens,
 * slashes, decimal points and `=`/`+`/`*`/`_`/`^` inside a word keep it whole (`non-small-cell`,
 * `COVID-19`, `2.5`, `mg/kg`, `c/o`, `P=0.02`, `Ca2+`, `44+/-8`, `Msh2-/-`). A trailing hyphen stays
 * on its word (`3-` in "3- and 6-mm"). A possessive `'s` is its own token (`patient` `'s`).
 *
 * Deliberate choices beyond the corpus, for clinical text:
 * - A slash between two words of three or more letters each, neither of them a unit or a pronoun, is a token of its own
 *   (`sulfonylurea/metformin` -> `sulfonylurea` `/` `metformin`, `COPD/asthma`), so each name is a token the
 *   tagger and the lexicon know, and an entity can end at the slash. Shorthand (`c/o`, `h/o`, `s/p`, `w/o`),
 *   `and/or`, `his/her`, units (`mg/kg`, `mcg/day`), dates, doses and anything with a digit (`5-FU/LV`) stay whole.
 * - A number glued to a known unit is split (`500mg` -> `500` `mg`, `1.5mg/kg` -> `1.5` `mg/kg`), so the
 *   tagger sees the same `mg` token as in "500 mg". Only units from {@link UNITS} split: `5FU`, `3TC`,
 *   `4G`, `2D` stay whole.
 * - Abbreviations keep their period (`Dr.`, `e.g.`, `vs.`, `approx.`, `b.i.d.`, `p.o.`, `M.D.`), as does a
 *   single-letter initial followed by a lower-case word (`H. pylori`). Every other final period is a
 *   token of its own. (The corpus itself splits `i.e .` and `et al .`; keeping the period is what lets the
 *   sentence splitter tell an abbreviation from a sentence end.)
 * - Thousands separators (`1,000`), clock times and ratios (`10:30`, `1:200`) stay one token.
 * - `+/-`, `>=`, `<=`, `->` are single tokens; runs such as `...`, `--`, `''`, ``` `` ``` are single tokens.
 * - Any other character (symbols, emoji, control characters, lone surrogates) is a token of its own; a
 *   surrogate pair, and an emoji with its variation selectors, skin-tone modifiers and ZWJ sequence,
 *   is never split.
 *
 * Whitespace is exactly what the JavaScript `\s` class matches; every other UTF-16 unit ends up in a token.
 */
import type { Sentence, Token } from './types.js';

/** Sentences longer than this are cut into chunks of at most this many tokens. */
export const MAX_SENTENCE_TOKENS = 300;

// ---------------------------------------------------------------------------------------------------
// Character classes, cached per UTF-16 unit so the scanner never allocates per character.

const COMPUTED = 1;
const SPACE = 2;
/** Letter, combining mark or number: the stuff words are made of. */
const WORD = 4;
const UPPER = 8;
const LOWER = 16;
const MARK = 32;

const bmpFlags = new Uint8Array(0x10000);
const astralFlags = new Map<number, number>();

function computeFlags(ch: string): number {
  let flags = COMPUTED;
  if (/^\s$/.test(ch)) return flags | SPACE;
  if (/^[\p{L}\p{M}\p{N}]$/u.test(ch)) flags |= WORD;
  if (/^[\p{Lu}\p{Lt}]$/u.test(ch)) flags |= UPPER;
  if (/^\p{Ll}$/u.test(ch)) flags |= LOWER;
  if (/^\p{M}$/u.test(ch)) flags |= MARK;
  return flags;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Flags of the code point starting at `i` (0 past the end; a lone surrogate is a plain symbol). */
function flagsAt(text: string, i: number): number {
  if (i < 0 || i >= text.length) return 0;
  const code = text.charCodeAt(i);
  if (code < 0xd800 || code > 0xdfff) {
    let flags = bmpFlags[code] ?? 0;
    if (flags === 0) {
      flags = computeFlags(String.fromCharCode(code));
      bmpFlags[code] = flags;
    }
    return flags;
  }
  if (!isHighSurrogate(code) || !isLowSurrogate(text.charCodeAt(i + 1))) return COMPUTED;
  const codePoint = text.codePointAt(i) ?? code;
  let flags = astralFlags.get(codePoint);
  if (flags === undefined) {
    flags = computeFlags(String.fromCodePoint(codePoint));
    astralFlags.set(codePoint, flags);
  }
  return flags;
}

/** UTF-16 length of the code point at `i`: 2 for a surrogate pair, else 1. */
function widthAt(text: string, i: number): number {
  return isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
}

function isWordAt(text: string, i: number): boolean {
  return (flagsAt(text, i) & WORD) !== 0;
}

function isSpaceAt(text: string, i: number): boolean {
  return (flagsAt(text, i) & SPACE) !== 0;
}

function isDigitAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code >= 48 && code <= 57;
}

function isAsciiLetterAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i) | 0x20;
  return code >= 97 && code <= 122;
}

// ---------------------------------------------------------------------------------------------------
// Vocabulary.

const ABBREVIATION_BASES = [
  'dr', 'drs', 'mr', 'mrs', 'ms', 'prof', 'st', 'jr', 'sr', 'pt', 'pts', 'no', 'nos', 'vs', 'etc', 'approx',
  'fig', 'figs', 'al', 'cf', 'viz', 'resp', 'inc', 'ltd', 'co', 'dept', 'vol', 'ref', 'wt', 'ht', 'hx',
];

/**
 * Words whose following period belongs to them. Lower-case and capitalised forms only, so that `MS.`
 * (multiple sclerosis) or `NO.` (nitric oxide) at a sentence end are not mistaken for `Ms.`/`No.`.
 */
const ABBREVIATIONS = new Set(ABBREVIATION_BASES.flatMap((a) => [a, a.charAt(0).toUpperCase() + a.slice(1)]));

/** Longer words are never abbreviations (and are not sliced to find out). */
const MAX_ABBREVIATION_LENGTH = 12;
const MAX_UNIT_LENGTH = 8;

/** Dotted initialisms such as `e.g`, `i.e`, `b.i.d`, `p.o`, `U.S`, `M.D` (before their final period). */
const DOTTED_INITIALISM = /^(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}$/;

/** Abbreviations (with their period) after which a sentence never ends, even before a capital. */
const NO_SENTENCE_END = new Set(
  [
    'dr', 'drs', 'mr', 'mrs', 'ms', 'prof', 'st', 'pt', 'pts', 'no', 'nos', 'vs', 'etc', 'approx', 'fig',
    'figs', 'al', 'cf', 'viz', 'e.g', 'i.e', 'b.i.d', 't.i.d', 'q.i.d', 'q.d', 'p.o', 'p.r.n', 'q.h.s',
  ].map((a) => `${a}.`),
);

/** Units split off a number glued to them (`500mg`). Case matters: `5U` and `5u` both, but not `5H`. */
const UNITS = new Set([
  'mg', 'mcg', 'µg', 'μg', 'ug', 'ng', 'g', 'gm', 'gr', 'kg', 'kgs', 'lb', 'lbs', 'oz',
  'ml', 'mL', 'cc', 'l', 'L', 'dl', 'dL', 'ul', 'uL', 'µL', 'μL',
  'mmol', 'mol', 'meq', 'mEq', 'iu', 'IU', 'u', 'U', 'unit', 'units',
  'mm', 'cm', 'm', 'km', 'ft', 'mmHg', 'bpm',
  'h', 'hr', 'hrs', 'hour', 'hours', 'min', 'mins', 'sec', 'wk', 'wks', 'week', 'weeks',
  'mo', 'mos', 'month', 'months', 'y', 'yr', 'yrs', 'yo', 'year', 'years', 'day', 'days', 'am', 'pm',
  'tab', 'tabs', 'cap', 'caps', 'puff', 'puffs', 'gtt', 'gtts', 'mEq/L',
]);

/** Second characters of the two-character operators `>=`, `<=`, `!=`, `==`, `=>`, `->`, `<-`. */
const OPERATOR_SECONDS: Readonly<Record<string, string>> = { '>': '=', '<': '=-', '!': '=', '=': '=>', '-': '>' };

/** Characters whose repetitions form one token (`...`, `--`, `''`, ``` `` ```, `!!`). */
const RUN_CHARS = new Set(['.', '-', '`', "'", '!', '?', '*', '=', '_', '~', '#']);

// ---------------------------------------------------------------------------------------------------
// Tokenizer.

/** Splits `text` into tokens with UTF-16 offsets (`text.slice(t.start, t.end) === t.text`). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    if (isSpaceAt(text, i)) {
      i += 1;
      continue;
    }
    const end = Math.max(tokenEnd(text, i), i + widthAt(text, i));
    tokens.push({ text: text.slice(i, end), start: i, end });
    i = end;
  }
  return tokens;
}

/** End of the token starting at the non-space position `i` (always > i). */
function tokenEnd(text: string, i: number): number {
  const ch = text[i] ?? '';
  if (isWordAt(text, i)) {
    const end = wordEnd(text, i, i);
    return isDigitAt(text, i) ? numberBeforeUnit(text, i, end) : end;
  }
  if (text.startsWith('+/-', i)) return isWordAt(text, i + 3) ? wordEnd(text, i, i + 3) : i + 3;
  if (startsSignedNumber(text, i)) return wordEnd(text, i, i + 1);
  if (startsAffixAfterBracket(text, i)) return wordEnd(text, i, i + 1);
  if (ch === '.' && isDigitAt(text, i + 1) && !isWordAt(text, i - 1)) return wordEnd(text, i, i);
  if (isPossessiveAt(text, i)) return i + 2;
  if (isTwoCharOperatorAt(text, i)) return i + 2;
  if (RUN_CHARS.has(ch)) return runEnd(text, i);
  return symbolEnd(text, i);
}

/** `-3.2`, `+2.12`, `-.5` where the sign does not follow a word. */
function startsSignedNumber(text: string, i: number): boolean {
  const ch = text[i];
  if (ch !== '-' && ch !== '+') return false;
  if (isWordAt(text, i - 1)) return false;
  return isDigitAt(text, i + 1) || (text[i + 1] === '.' && isDigitAt(text, i + 2));
}

/** `-induced` in `(con A)-induced`, `/ml` in `(AU)/ml`: the corpus keeps the affix whole. */
function startsAffixAfterBracket(text: string, i: number): boolean {
  const ch = text[i];
  const before = text[i - 1];
  return (ch === '-' || ch === '/') && (before === ')' || before === ']') && isWordAt(text, i + 1);
}

/** `'s` / `’s` not followed by more letters (`patient's`, and the corpus's detached `patient 's`). */
function isPossessiveAt(text: string, i: number): boolean {
  const ch = text[i];
  if (ch !== "'" && ch !== '\u2019') return false;
  const next = text[i + 1];
  return (next === 's' || next === 'S') && !isWordAt(text, i + 2);
}

function isTwoCharOperatorAt(text: string, i: number): boolean {
  const seconds = OPERATOR_SECONDS[text[i] ?? ''];
  const second = text[i + 1];
  return seconds !== undefined && second !== undefined && seconds.includes(second);
}

function runEnd(text: string, i: number): number {
  const ch = text[i];
  let j = i + 1;
  while (text[j] === ch) j += 1;
  return j;
}

/** One code point, plus what renders with it: combining marks, skin tones, ZWJ-joined symbols. */
function symbolEnd(text: string, i: number): number {
  let j = i + widthAt(text, i);
  while (j < text.length) {
    const code = text.charCodeAt(j);
    if ((flagsAt(text, j) & MARK) !== 0) {
      j += widthAt(text, j);
    } else if (code === 0xd83c && text.charCodeAt(j + 1) >= 0xdffb && text.charCodeAt(j + 1) <= 0xdfff) {
      j += 2; // emoji skin-tone modifier U+1F3FB..U+1F3FF
    } else if (code === 0x200d && j + 1 < text.length && (flagsAt(text, j + 1) & (WORD | SPACE)) === 0) {
      j += 1 + widthAt(text, j + 1);
    } else {
      break;
    }
  }
  return j;
}

/**
 * End of the word that starts at `start`, scanning from `j`: word characters, plus the connectors
 * inside a word (see {@link connectorEnd}).
 */
function wordEnd(text: string, start: number, j: number): number {
  for (;;) {
    while (j < text.length && isWordAt(text, j)) j += widthAt(text, j);
    if (j >= text.length) return j;
    const resume = connectorEnd(text, start, j);
    if (resume < 0) return ~resume;
    j = resume;
  }
}

/**
 * Decides about the non-word character at `j` inside the word begun at `start`. Returns the position to
 * go on scanning from when the word continues, or `~end` when the word ends at `end` (which includes a
 * trailing character such as the period of `Dr.` or the hyphen of `3-`).
 */
function connectorEnd(text: string, start: number, j: number): number {
  const ch = text[j];
  const next = j + 1;
  switch (ch) {
    case '-':
    case '\u2010':
    case '\u2011':
      if (isGenotypeAt(text, j)) return continueOrStop(text, j + 3);
      if (isWordAt(text, next) || (text[next] === '/' && isWordAt(text, next + 1))) return next;
      return text[next] === '-' || ch !== '-' ? ~j : ~next; // keep the trailing hyphen of `3- and 6-mm`
    case '\u2013':
      return isWordAt(text, next) ? next : ~j;
    case '+':
      if (isGenotypeAt(text, j)) return continueOrStop(text, j + 3);
      return continueOrStop(text, next);
    case '/':
      if (isSlashBetweenNames(text, start, j)) return ~j;
      if (isWordAt(text, next) || text[next] === '-' || text[next] === '+') return next;
      return isSpaceAt(text, next) || next >= text.length ? ~next : ~j; // `w/ fever`, `mmol/ h`
    case '.':
      if (isWordAt(text, next) && !isGluedSentenceEnd(text, j)) return next;
      return keepsPeriod(text, start, j) ? ~next : ~j;
    case "'":
    case '\u2019':
      if (isPossessiveAt(text, j)) return ~j;
      return isWordAt(text, j - 1) && isWordAt(text, next) ? next : ~j;
    case ',':
      return isThousandsSeparator(text, j) ? next : ~j;
    case ':':
      return isDigitAt(text, j - 1) && isDigitAt(text, next) ? next : ~j;
    case '=':
      return isWordAt(text, next) || (text[next] === '.' && isDigitAt(text, next + 1)) ? next : ~j;
    case '^':
    case '_':
    case '*':
      return isWordAt(text, next) ? next : ~j;
    default:
      return ~j;
  }
}

const LETTERS = /^\p{L}{3,}$/u;
const LETTER_RUN = /\p{L}+/uy;
/** Words that follow a slash as the denominator of a rate, besides units: `breaths/minute`, `packs/day`. */
const RATE_WORDS = new Set(['minute', 'minutes', 'second', 'seconds', 'dose', 'doses', 'kcal', 'cycle', 'cycles', 'meal', 'meals', 'night', 'nights']);
/** Word pairs that are one choice of wording, not two names: `his/her`, `yes/no`. */
const FUNCTION_WORDS = new Set(['his', 'her', 'hers', 'him', 'she', 'they', 'them', 'their', 'yes', 'not', 'and', 'the', 'for', 'per', 'with']);

function isUnitOrFunctionWord(word: string): boolean {
  const lower = word.toLowerCase();
  return UNITS.has(word) || UNITS.has(lower) || RATE_WORDS.has(lower) || FUNCTION_WORDS.has(lower);
}

/** The slash at `j` in the word begun at `start` separates two names: letters only, 3+ each side, no unit or pronoun. */
function isSlashBetweenNames(text: string, start: number, j: number): boolean {
  if (j - start < 3) return false;
  LETTER_RUN.lastIndex = j + 1;
  const right = LETTER_RUN.exec(text)?.[0];
  if (right === undefined || right.length < 3 || isWordAt(text, j + 1 + right.length)) return false;
  const left = text.slice(start, j);
  return LETTERS.test(left) && !isUnitOrFunctionWord(left) && !isUnitOrFunctionWord(right);
}

function continueOrStop(text: string, j: number): number {
  return isWordAt(text, j) ? j : ~j;
}

/** `-/-`, `+/-`, `+/+`, `-/+` as in `Msh2-/-` or `44+/-8`. */
function isGenotypeAt(text: string, j: number): boolean {
  const a = text[j];
  const c = text[j + 2];
  return text[j + 1] === '/' && (a === '-' || a === '+') && (c === '-' || c === '+');
}

/** `1,000` but not `1,2` or `1,0000`. */
function isThousandsSeparator(text: string, j: number): boolean {
  return (
    isDigitAt(text, j - 1) &&
    isDigitAt(text, j + 1) &&
    isDigitAt(text, j + 2) &&
    isDigitAt(text, j + 3) &&
    !isDigitAt(text, j + 4)
  );
}

/** `fever.Cough`: a missing space after a sentence's period, not a dotted name like `U.S.Army`. */
function isGluedSentenceEnd(text: string, j: number): boolean {
  return (
    (flagsAt(text, j + 1) & UPPER) !== 0 &&
    (flagsAt(text, j + 2) & LOWER) !== 0 &&
    (flagsAt(text, j - 1) & (UPPER | LOWER)) !== 0 &&
    (flagsAt(text, j - 2) & (UPPER | LOWER)) !== 0
  );
}

/** Whether the period at `j`, ending the word begun at `start`, belongs to the word. */
function keepsPeriod(text: string, start: number, j: number): boolean {
  if (j - start === 1) return isInitialBeforeLowerCase(text, j);
  if (j - start > MAX_ABBREVIATION_LENGTH) return false;
  const word = text.slice(start, j);
  return ABBREVIATIONS.has(word) || DOTTED_INITIALISM.test(word);
}

/** `H. pylori`, `E. coli`: a single letter, its period, one space, a lower-case letter. */
function isInitialBeforeLowerCase(text: string, j: number): boolean {
  return isAsciiLetterAt(text, j - 1) && isSpaceAt(text, j + 1) && (flagsAt(text, j + 2) & LOWER) !== 0;
}

/** Where the number at the start of word [start, end) ends if a known unit is glued to it, else `end`. */
function numberBeforeUnit(text: string, start: number, end: number): number {
  let k = start;
  while (isDigitAt(text, k)) k += 1;
  while ((text[k] === '.' || text[k] === ',') && isDigitAt(text, k + 1)) {
    k += 1;
    while (isDigitAt(text, k)) k += 1;
  }
  let m = k;
  while (m < end && isUnitLetterAt(text, m)) m += 1;
  if (m === k || m - k > MAX_UNIT_LENGTH || (m < end && text[m] !== '/')) return end;
  return UNITS.has(text.slice(k, m)) ? k : end;
}

function isUnitLetterAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return isAsciiLetterAt(text, i) || code === 0xb5 || code === 0x3bc;
}

// ---------------------------------------------------------------------------------------------------
// Sentence splitter.

const BULLETS = new Set(['-', '*', '+', '#', '•', '·', '‣', '◦', '▪', '▫', '●', '○', '■', '□', '–', '—', '>', '→']);
const TERMINATORS = /^(?:\.+|!+|\?+)$/;
const CLOSERS = new Set([')', ']', '"', "'", "''", '\u201d', '\u2019']);
const LIST_LABEL = /^(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,5})$/;

/**
 * Splits `text` into sentences. A sentence ends:
 * - at `.`, `!` or `?` (possibly followed by a closing bracket or quote) when whitespace and then an
 *   upper-case letter, a digit or a bullet follow, or the text ends; not after the abbreviations of
 *   {@link NO_SENTENCE_END} (`Dr.`, `e.g.`, `vs.`, `b.i.d.`...), nor after a lone list label (`1.`);
 * - at a blank line (two or more line breaks);
 * - at a line break followed by a bullet or numbered-list item (`- x`, `• x`, `1. x`, `2) x`) or by a
 *   section header (`ASSESSMENT:`, `Dx:`, `Past Medical History:`);
 * - at the end of the line of such a list item or header when the next line starts with a capital, a
 *   digit or a query mark (`2. Recheck HbA1c\nPt c/o fever`, `Rx: azithromycin\nFollow up in 2 weeks`,
 *   `Dx: asthma\n? LRTI`); a `?` that opens a line queries what follows it and ends no sentence.
 * A sentence of more than {@link MAX_SENTENCE_TOKENS} tokens is cut into chunks of at most that many,
 * preferably after a `;`, `,` or `:` or at a line break in the second half of each chunk, so that a
 * tagger never gets an unbounded sequence. Every token of `tokenize(text)` is in exactly one sentence.
 */
export function splitSentences(text: string): Sentence[] {
  const tokens = tokenize(text);
  const sentences: Sentence[] = [];
  let first = 0;
  let lineItem = startsLineItem(text, tokens, 0);
  for (let i = 1; i < tokens.length; i++) {
    if (startsSentence(text, tokens, first, i, lineItem)) {
      pushChunks(sentences, text, tokens.slice(first, i));
      first = i;
      lineItem = startsLineItem(text, tokens, i);
    }
  }
  if (first < tokens.length) pushChunks(sentences, text, tokens.slice(first));
  return sentences;
}

/**
 * Whether a sentence starts at token `i`, given the sentence under way starts at `first` and whether that
 * one is a list item or header line (`lineItem`), which a line break before a capital or digit ends.
 */
function startsSentence(text: string, tokens: Token[], first: number, i: number, lineItem: boolean): boolean {
  const previous = tokens[i - 1];
  const token = tokens[i];
  if (!previous || !token) return false;
  const breaks = lineBreaksBetween(text, previous.end, token.start);
  if (breaks >= 2) return true;
  if (breaks === 1) {
    if (startsLineItem(text, tokens, i)) return true;
    if (lineItem && (isDigitAt(token.text, 0) || (flagsAt(token.text, 0) & UPPER) !== 0 || isQueryMark(token.text))) return true;
    // A full stop that ends its line ends its sentence, whatever the next line starts with ("No swelling.\nk/c/o HTN").
    if (endsWithTerminator(tokens, first, i) && !queriesLine(text, tokens, i - 1)) return true;
  }
  // The cheap test first: most tokens start in lower case.
  return looksLikeSentenceStart(previous.end, token) && endsWithTerminator(tokens, first, i) && !queriesLine(text, tokens, i - 1);
}

function isQueryMark(token: string): boolean {
  return token.charCodeAt(0) === 63 && /^\?+$/.test(token);
}

/** A "?" that opens its line queries what follows it ("Dx: asthma\n? LRTI"): it ends no sentence. */
function queriesLine(text: string, tokens: Token[], k: number): boolean {
  const mark = tokens[k] as Token;
  const before = tokens[k - 1];
  return isQueryMark(mark.text) && (before === undefined || lineBreaksBetween(text, before.end, mark.start) > 0);
}

function lineBreaksBetween(text: string, from: number, to: number): number {
  let breaks = 0;
  for (let k = from; k < to; k++) {
    const code = text.charCodeAt(k);
    if (code === 13) {
      breaks += 1;
      if (text.charCodeAt(k + 1) === 10) k += 1;
    } else if (code === 10 || code === 0x2028 || code === 0x2029 || code === 12) {
      breaks += 1;
    }
  }
  return breaks;
}

function startsLineItem(text: string, tokens: Token[], i: number): boolean {
  return startsListItem(tokens, i) || startsHeader(text, tokens, i);
}

/** `- x`, `• x`, `1. x`, `a) x` at the start of a line. */
function startsListItem(tokens: Token[], i: number): boolean {
  const token = tokens[i];
  const next = tokens[i + 1];
  if (!token) return false;
  if (BULLETS.has(token.text)) return true;
  return (
    next !== undefined &&
    next.start === token.end &&
    (next.text === '.' || next.text === ')') &&
    LIST_LABEL.test(token.text)
  );
}

/** Up to five capitalised words then `:` on the same line, e.g. `ASSESSMENT AND PLAN:` or `Dx:`. */
function startsHeader(text: string, tokens: Token[], i: number): boolean {
  const first = tokens[i];
  if (!first || (flagsAt(first.text, 0) & UPPER) === 0) return false;
  for (let k = i + 1; k <= i + 5; k++) {
    const token = tokens[k];
    const previous = tokens[k - 1];
    if (!token || !previous || lineBreaksBetween(text, previous.end, token.start) > 0) return false;
    if (token.text === ':') return true;
    if (!isWordAt(token.text, 0) && token.text !== '&' && token.text !== '/') return false;
  }
  return false;
}

/** Whether tokens[first..i) end with a sentence terminator, skipping closing brackets and quotes. */
function endsWithTerminator(tokens: Token[], first: number, i: number): boolean {
  let k = i - 1;
  while (k > first && CLOSERS.has(tokens[k]?.text ?? '') && tokens[k - 1]?.end === tokens[k]?.start) k -= 1;
  const last = tokens[k];
  if (!last) return false;
  if (TERMINATORS.test(last.text)) return k > first && !isLoneListLabel(tokens, first, k);
  return last.text.length > 1 && last.text.endsWith('.') && !NO_SENTENCE_END.has(last.text.toLowerCase());
}

/** `1.` or `b.` alone at the start of a sentence is a list label, not a sentence. */
function isLoneListLabel(tokens: Token[], first: number, terminator: number): boolean {
  const label = tokens[first];
  return terminator === first + 1 && label !== undefined && LIST_LABEL.test(label.text);
}

/** After whitespace: an upper-case letter, a digit or a bullet; right after the period: a capital. */
function looksLikeSentenceStart(previousEnd: number, token: Token): boolean {
  const flags = flagsAt(token.text, 0);
  if ((flags & UPPER) !== 0) return true;
  if (previousEnd === token.start) return false;
  return isDigitAt(token.text, 0) || BULLETS.has(token.text);
}

/** Appends `tokens` as one sentence, or as several chunks when longer than MAX_SENTENCE_TOKENS. */
function pushChunks(sentences: Sentence[], text: string, tokens: Token[]): void {
  let from = 0;
  while (tokens.length - from > MAX_SENTENCE_TOKENS) {
    const cut = chunkEnd(text, tokens, from);
    sentences.push(toSentence(tokens.slice(from, cut)));
    from = cut;
  }
  if (from === 0) sentences.push(toSentence(tokens));
  else if (from < tokens.length) sentences.push(toSentence(tokens.slice(from)));
}

/** Where to cut the chunk starting at `from`: after the last `;`, `,`, `:` or line break in its second half. */
function chunkEnd(text: string, tokens: Token[], from: number): number {
  const limit = from + MAX_SENTENCE_TOKENS;
  for (let cut = limit; cut > from + MAX_SENTENCE_TOKENS / 2; cut--) {
    const last = tokens[cut - 1];
    const next = tokens[cut];
    if (!last || !next) continue;
    if (last.text === ';' || last.text === ',' || last.text === ':') return cut;
    if (lineBreaksBetween(text, last.end, next.start) > 0) return cut;
  }
  return limit;
}

function toSentence(tokens: Token[]): Sentence {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  return { start: first?.start ?? 0, end: last?.end ?? 0, tokens };
}
