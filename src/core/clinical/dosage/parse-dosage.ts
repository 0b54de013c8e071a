import type { Quantity } from '../../text/types.js';
import {
  AS_NEEDED_PHRASES, ONE_TIME_PHRASES, DOSE_UNITS, DURATION_LEADS, DURATION_UNITS, EVERY_WORDS, FORM_PHRASES, FRACTION_DURATION_UNITS, FREQUENCY_PHRASES, HOUR_WORDS,
  NUMBER_WORDS, ROUTE_PHRASES, STRENGTH_UNITS, TIMES_PERIODS, WHEN_PHRASES, type PeriodUnit, type TimingRule,
} from './rules.js';

/**
 * Reads how a drug is taken from the words a note writes after it ("650 mg 1-0-1 after food x5d") and
 * before it ("Tab", "Inj", "IV"): pure, linear in the text's length (each rule looks a fixed number of words
 * ahead), never throws. Every field is one the words state; the rest stay absent.
 */
export interface DosageFields {
  doseQuantity?: Quantity;
  timing?: { frequency: number; period: number; periodUnit: PeriodUnit; when?: string[] };
  boundsDuration?: Quantity;
  asNeeded?: boolean;
  route?: string;
  form?: string;
}

export interface ParsedDosage {
  fields: DosageFields;
  /** Offset (into the text given) just past the last word a field was read from; 0 when none was. */
  end: number;
}

interface Word {
  /** Lower-cased. */
  text: string;
  start: number;
  end: number;
  /** Starts with an upper-case letter in the note. */
  capital: boolean;
  /** Written in capitals, two letters or more ("ON", not "On"). */
  capitals: boolean;
  /** A number (its value), else NaN. */
  value: number;
  /** Letters (a word that is not a unit, number or rule word counts toward the gap that ends the dosage). */
  letters: boolean;
}

/**
 * Numbers (1,000 and 0.5 whole), dotted abbreviations (b.i.d., p.o.) whole, runs of letters, and any
 * other character alone; "500mg" is 500 and mg, "x5d" is x, 5 and d, "q6h" is q, 6 and h.
 */
const WORD = /\d+(?:[.,]\d+)*|\p{L}+(?:\.\p{L}+)+\.?|\p{L}+|\S/gu;

/** The words of a text, read as far as they are asked for (a dosage ends a few words in; the line may go on). */
export class Words {
  private readonly list: Word[] = [];
  /** Where the next word is looked for (the one pattern is shared: each reader sets its lastIndex). */
  private position = 0;
  private done = false;
  constructor(private readonly text: string) {}

  at(i: number): Word | undefined {
    while (this.list.length <= i && !this.done) this.read();
    return this.list[i];
  }

  private read(): void {
    WORD.lastIndex = this.position;
    const m = WORD.exec(this.text);
    if (m === null) {
      this.done = true;
      return;
    }
    this.position = WORD.lastIndex;
    const raw = m[0];
    const c = raw.charCodeAt(0);
    const digit = c >= 48 && c <= 57;
    const lower = raw.toLowerCase();
    const upper = raw.toUpperCase();
    this.list.push({
      text: lower,
      start: m.index,
      end: m.index + raw.length,
      capital: lower !== raw && raw[0] !== lower[0],
      capitals: raw.length > 1 && lower !== raw && raw === upper,
      value: digit ? numberValue(raw) : raw === '½' ? 0.5 : NaN,
      letters: !digit && lower !== upper,
    });
  }
}

/** Every word of a text. */
export function words(text: string): Word[] {
  const ws = new Words(text);
  const out: Word[] = [];
  for (let i = 0, w = ws.at(0); w !== undefined; w = ws.at(++i)) out.push(w);
  return out;
}

/** 1,000 and 60,000 are thousands; 0.5 a decimal. */
function numberValue(raw: string): number {
  const plain = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(raw) ? raw.replace(/,/g, '') : raw.replace(/,/g, '.');
  const value = Number(plain);
  return Number.isFinite(value) ? value : NaN;
}

/** Phrases by their first word, longest first. */
type PhraseIndex<T> = Map<string, { words: string[]; value: T }[]>;

function phraseIndex<T>(entries: readonly (readonly [string, T])[]): PhraseIndex<T> {
  const index: PhraseIndex<T> = new Map();
  for (const [phrase, value] of entries) {
    const ws = words(phrase).map((w) => w.text);
    const first = ws[0] as string;
    const list = index.get(first) ?? [];
    list.push({ words: ws, value });
    list.sort((a, b) => b.words.length - a.words.length);
    index.set(first, list);
  }
  return index;
}

const FREQUENCY = phraseIndex(FREQUENCY_PHRASES);
/** The units of a cycle after "every N" ("every 14 days", "every 3 weeks"). */
const EVERY_PERIODS: Readonly<Record<string, PeriodUnit>> = { day: 'd', days: 'd', week: 'wk', weeks: 'wk', wk: 'wk', wks: 'wk', month: 'mo', months: 'mo' };
const ON_AT_NIGHT: TimingRule = { frequency: 1, period: 1, periodUnit: 'd', when: 'NIGHT' };
const WHEN = phraseIndex(WHEN_PHRASES);
const AS_NEEDED = phraseIndex(AS_NEEDED_PHRASES.map((p) => [p, true] as const));
const ONE_TIME = phraseIndex(ONE_TIME_PHRASES.map((p) => [p, true] as const));
const ROUTE = phraseIndex(ROUTE_PHRASES);
const FORM = phraseIndex(FORM_PHRASES);
const TABLES = [FREQUENCY, WHEN, AS_NEEDED, ROUTE, FORM] as const;

/** Words before a length of time that make it a time, not a course: "until 36 weeks", "increase to 0.5 mg after 4 weeks". */
const WHEN_WORDS: ReadonlySet<string> = new Set(['until', 'after', 'in', 'within', 'every', 'by']);

/** Words after a length of time that make it a time since ("three weeks ago", "6 weeks back"), not a course. */
const SINCE_WORDS: ReadonlySet<string> = new Set(['ago', 'back', 'before', 'earlier', 'prior']);

/** Words a dosage is made of: a sentence break before one of them does not end the dosage ("p.o. B.I.D."). */
function isRuleWord(text: string): boolean {
  return TABLES.some((table) => table.has(text)) || text in DOSE_UNITS || DURATION_LEADS.has(text) || EVERY_WORDS.has(text);
}

/** A capitalised word no dosage rule reads: after a comma, the name of the list's next item. */
function startsItem(w: Word | undefined): boolean {
  return w !== undefined && w.letters && w.capital && !isRuleWord(w.text) && !HOW_TO_TAKE.has(w.text) && !DURATION_LEADS.has(w.text);
}

/** The longest phrase of the index starting at ws.at(i): its value and the index after it. */
function matchPhrase<T>(index: PhraseIndex<T>, ws: Words, i: number): { value: T; next: number } | null {
  const list = index.get((ws.at(i) as Word).text);
  if (!list) return null;
  for (const phrase of list) {
    let k = 0;
    while (k < phrase.words.length && ws.at(i + k)?.text === phrase.words[k]) k++;
    if (k === phrase.words.length) return { value: phrase.value, next: i + k };
  }
  return null;
}

/** A count: a number, or a word for one ("two puffs"; "a" and "an" only where `article` allows: "for a week"). */
function countAt(ws: Words, i: number, article = true): number {
  const w = ws.at(i);
  if (!w) return NaN;
  if (!Number.isNaN(w.value)) return w.value;
  if (!article && (w.text === 'a' || w.text === 'an')) return NaN;
  return NUMBER_WORDS[w.text] ?? NaN;
}

/** Words without letters that a dosage may hold between its parts. */
const PUNCTUATION: ReadonlySet<string> = new Set([',', '-', '(', ')', '/', ':', '+', '–']);
/** The forms a count of units writes ("2 tablets", "1 cap"). */
const FORM_OF_COUNT: Readonly<Record<string, string>> = { '{tablet}': 'tablet', '{capsule}': 'capsule', '{sachet}': 'sachet' };
/** Units a dose counts in, which give way to nothing; after a mass ("100 micrograms two puffs") the count is the dose taken. */
const COUNT_UNITS: ReadonlySet<string> = new Set(['{puff}', '{tablet}', '{capsule}', '{drop}', '{spray}', '{sachet}']);
const MASS_UNITS: ReadonlySet<string> = new Set(['mg', 'ug', 'g', 'ng', '[iU]', 'U', 'meq', 'mmol']);
/** Words of how to take a dose ("10 ml in a glass of water TDS"): read past, not counted as unknown. */
const HOW_TO_TAKE: ReadonlySet<string> = new Set(['in', 'a', 'an', 'of', 'glass', 'cup', 'water', 'milk', 'with', 'warm', 'lukewarm', 'dissolved', 'diluted', 'mixed']);
/** Unknown words in a row that end the dosage (the note has moved on to something else). */
const MAX_GAP = 3;

/** A number with a minus sign glued to it, not after another number (where "-" joins a range or a schedule). */
function negativeAt(ws: Words, i: number): boolean {
  const sign = ws.at(i - 1);
  const word = ws.at(i) as Word;
  if (sign?.text !== '-' || sign.end !== word.start) return false;
  const before = ws.at(i - 2);
  return before === undefined || (Number.isNaN(before.value) && before.end < sign.start);
}

/**
 * Where "hourly" is after the number at i: 6 hrly, 8 hourly, 6-hourly, and 4-6 hourly (every 4 hours, the shorter
 * interval of a range); -1 when it is not.
 */
function hourlyAfter(ws: Words, i: number): number {
  let at = i + 1;
  if (ws.at(at)?.text === '-') at += Number.isNaN(ws.at(at + 1)?.value ?? NaN) ? 1 : 2;
  const word = ws.at(at)?.text;
  return word === 'hrly' || word === 'hourly' ? at : -1;
}

/** 1-0-1, 1-1-1, 0-0-1, 1-0-0-1, ½-0-½: doses per part of the day; the frequency is the count of parts taken. */
function scheduleAt(ws: Words, i: number): { count: number; next: number } | null {
  const parts: number[] = [];
  let k = i;
  for (;;) {
    const v = ws.at(k)?.value ?? NaN;
    if (!(v === 0 || v === 0.5 || v === 1 || v === 2)) break;
    parts.push(v);
    if (ws.at(k + 1)?.text !== '-' || parts.length === 4) {
      k++;
      break;
    }
    k += 2;
  }
  if (parts.length < 3) return null;
  const count = parts.filter((v) => v > 0).length;
  return count > 0 ? { count, next: k } : null;
}

export interface ParseOptions {
  /** The unit of a number written alone right after the drug (a brand's strength unit); default mg. */
  bareNumberUnit?: string;
}

/**
 * Fields from the words after a drug's name. Reading stops at the end of the text, a sentence break
 * before a word that is no part of a dosage, or after three words in a row that no rule reads.
 */
export function parseDosageAfter(text: string, options: ParseOptions = {}): ParsedDosage {
  const ws = new Words(text);
  const fields: DosageFields = {};
  let end = 0;
  let gap = 0;
  let i = 0;
  let once = false;
  const read = (next: number): void => {
    end = (ws.at(next - 1) as Word).end;
    gap = 0;
    i = next;
  };
  const setTiming = (rule: TimingRule): void => {
    // "stat, then BD": a frequency after a one-time dose is the regimen's.
    once = false;
    if (fields.timing) {
      if (rule.when && !fields.timing.when?.includes(rule.when)) fields.timing.when = [...(fields.timing.when ?? []), rule.when];
      return;
    }
    fields.timing = { frequency: rule.frequency, period: rule.period, periodUnit: rule.periodUnit, ...(rule.when ? { when: [rule.when] } : {}) };
  };
  const pendingWhen: string[] = [];
  let doseIsStrength = false;
  const addWhen = (when: string): void => {
    if (!fields.timing) {
      if (!pendingWhen.includes(when)) pendingWhen.push(when);
      return;
    }
    if (!fields.timing.when?.includes(when)) fields.timing.when = [...(fields.timing.when ?? []), when];
  };
  while (ws.at(i) !== undefined) {
    const w = ws.at(i) as Word;
    // A sentence ends before a capitalised word that is not part of a dosage ("SOS. Review in 3 days").
    if (w.text === '.' && ws.at(i + 1)?.capital === true && !isRuleWord((ws.at(i + 1) as Word).text)) break;
    if (w.text === ';') break;
    // After a complete instruction, a comma before a capitalised word no rule reads starts the next item of a
    // list ("Tab PCM 500 mg SOS, MVI 1 OD"): its instructions are its own.
    if (w.text === ',' && (fields.timing !== undefined || fields.asNeeded !== undefined) && startsItem(ws.at(i + 1))) break;
    const count = countAt(ws, i, false);
    if (!Number.isNaN(count) && negativeAt(ws, i)) {
      // "net -4.2 L": a balance, not a dose.
      if (++gap >= MAX_GAP) break;
      i++;
      continue;
    }
    if (!Number.isNaN(count)) {
      const schedule = scheduleAt(ws, i);
      if (schedule) {
        setTiming({ frequency: schedule.count, period: 1, periodUnit: 'd' });
        read(schedule.next);
        continue;
      }
      const unitWord = ws.at(i + 1)?.text ?? '';
      const hourlyAt = hourlyAfter(ws, i);
      if (hourlyAt > 0 && count > 0) {
        setTiming({ frequency: 1, period: count, periodUnit: 'h' });
        read(hourlyAt + 1);
        continue;
      }
      // N times a day / N times daily / N times per week
      if (unitWord === 'times' || unitWord === 'x') {
        let k = i + 2;
        while (ws.at(k) && (ws.at(k)?.text === 'a' || ws.at(k)?.text === 'per' || ws.at(k)?.text === 'in' || ws.at(k)?.text === '/')) k++;
        const period = TIMES_PERIODS[ws.at(k)?.text ?? ''];
        if (period && Number.isInteger(count) && count > 0) {
          setTiming({ frequency: count, period: 1, periodUnit: period });
          read(k + 1);
          continue;
        }
      }
      const doseUnit = DOSE_UNITS[unitWord];
      if (doseUnit !== undefined && count > 0) {
        let next = i + 2;
        let concentration = STRENGTH_UNITS.has(doseUnit);
        // a concentration: 250 mg/5 ml, 5 mg/kg; the amount taken, when the note writes it later, is the dose
        if (ws.at(next)?.text === '/') {
          const after = ws.at(next + 1);
          if (after && !Number.isNaN(after.value) && ws.at(next + 2) && DOSE_UNITS[(ws.at(next + 2) as Word).text] !== undefined) next += 3;
          else if (after && DOSE_UNITS[after.text] !== undefined) next += 2;
          else if (after && (after.text === 'kg' || after.text === 'day' || after.text === 'dose')) next += 2;
          concentration = next > i + 2;
        }
        const countAfterMass = fields.doseQuantity !== undefined && COUNT_UNITS.has(doseUnit) && MASS_UNITS.has(fields.doseQuantity.unit) && !concentration;
        if (!fields.doseQuantity || (doseIsStrength && !concentration) || countAfterMass) fields.doseQuantity = { value: count, unit: doseUnit };
        // "2 tablets" writes the form as much as "Tab" does.
        const countedForm = FORM_OF_COUNT[doseUnit];
        if (countedForm !== undefined) fields.form ??= countedForm;
        if (fields.doseQuantity.value === count && fields.doseQuantity.unit === doseUnit) doseIsStrength = concentration;
        read(next);
        continue;
      }
      // 24/26 mg, 200/6: the strengths of a combination's parts, no one dose
      if (ws.at(i + 1)?.text === '/' && !Number.isNaN(ws.at(i + 2)?.value ?? NaN)) {
        read(DOSE_UNITS[ws.at(i + 3)?.text ?? ''] !== undefined ? i + 4 : i + 3);
        continue;
      }
      const durationUnit = DURATION_UNITS[unitWord];
      // "until 36 weeks" names when it ends (a week of pregnancy), "after 4 weeks" when a change comes, not how
      // long it lasts; "three weeks ago" is when it started.
      if (durationUnit !== undefined && count > 0 && unitWord.length > 1 && durationUnit !== 'h' && !WHEN_WORDS.has(ws.at(i - 1)?.text ?? '') && !SINCE_WORDS.has(ws.at(i + 2)?.text ?? '')) {
        fields.boundsDuration ??= { value: count, unit: durationUnit };
        read(i + 2);
        continue;
      }
      // A number alone right after the drug: its dose ("paracetamol 650 OD"); 1 to 4 count tablets ("Orofer XT 1 OD").
      // Not a time: "started on Nexito 10 6 wks ago".
      if (i === 0 && !Number.isNaN(w.value) && w.value > 4 && ws.at(i + 1)?.text !== '/' && ws.at(i + 1)?.text !== '-' && durationUnit === undefined) {
        fields.doseQuantity ??= { value: w.value, unit: options.bareNumberUnit ?? 'mg' };
        read(i + 1);
        continue;
      }
    }
    const duration = DURATION_LEADS.has(w.text) ? durationAt(ws, i) : null;
    if (duration) {
      fields.boundsDuration ??= { value: duration.value, unit: duration.unit };
      read(duration.next);
      continue;
    }
    if (EVERY_WORDS.has(w.text)) {
      let k = i + 1;
      if (ws.at(k)?.text === '.') k++;
      const n = countAt(ws, k);
      if (!Number.isNaN(n) && n > 0) {
        let unitAt = k + 1;
        // q4-6h: every 4 hours at the most
        if (ws.at(unitAt)?.text === '-' && !Number.isNaN(ws.at(unitAt + 1)?.value ?? NaN)) unitAt += 2;
        if (HOUR_WORDS.has(ws.at(unitAt)?.text ?? '')) {
          setTiming({ frequency: 1, period: n, periodUnit: 'h' });
          read(unitAt + 1);
          continue;
        }
        // every 14 days, every 3 weeks: a cycle
        const cycle = unitAt === k + 1 ? EVERY_PERIODS[ws.at(unitAt)?.text ?? ''] : undefined;
        if (cycle !== undefined) {
          setTiming({ frequency: 1, period: n, periodUnit: cycle });
          read(unitAt + 1);
          continue;
        }
      }
    }
    // British "ON" (omni nocte) after a dose, in capitals: "on" in lower case is the preposition.
    if (w.text === 'on' && w.capitals && i > 0) {
      setTiming(ON_AT_NIGHT);
      read(i + 1);
      continue;
    }
    const frequency = matchPhrase(FREQUENCY, ws, i);
    if (frequency) {
      setTiming(frequency.value);
      read(frequency.next);
      continue;
    }
    const when = matchPhrase(WHEN, ws, i);
    if (when) {
      addWhen(when.value);
      read(when.next);
      continue;
    }
    const oneTime = matchPhrase(ONE_TIME, ws, i);
    if (oneTime) {
      once = true;
      read(oneTime.next);
      continue;
    }
    const asNeeded = matchPhrase(AS_NEEDED, ws, i);
    if (asNeeded) {
      fields.asNeeded = true;
      read(asNeeded.next);
      continue;
    }
    const route = matchPhrase(ROUTE, ws, i);
    if (route) {
      fields.route ??= route.value;
      read(route.next);
      continue;
    }
    const form = matchPhrase(FORM, ws, i);
    if (form) {
      fields.form ??= form.value;
      read(form.next);
      continue;
    }
    if (w.letters || !Number.isNaN(w.value)) {
      if (!HOW_TO_TAKE.has(w.text) && ++gap >= MAX_GAP) break;
    } else if (!PUNCTUATION.has(w.text) && w.text !== '.') {
      if (++gap >= MAX_GAP) break;
    }
    i++;
  }
  if (pendingWhen.length > 0 && fields.timing) for (const when of pendingWhen) addWhen(when);
  // A dose given once has a time, not a frequency: "at bedtime, single dose".
  if (once) delete fields.timing;
  return { fields, end };
}

/**
 * The course length a lead word at i starts ("x 5 days", "for a period of 2 weeks", "x 7 more days", "for
 * 2/52"): its value, unit and the index after it; null when none follows.
 */
function durationAt(ws: Words, i: number): { value: number; unit: string; next: number } | null {
  let k = i + 1;
  if (ws.at(k)?.text === 'a' && ws.at(k + 1)?.text === 'period' && ws.at(k + 2)?.text === 'of') k += 3;
  if (ws.at(k)?.text === 'next' || ws.at(k)?.text === 'another') k++;
  const n = countAt(ws, k);
  if (Number.isNaN(n) || n <= 0) return null;
  // x 7 more days, for 2 further weeks
  if (ws.at(k + 1)?.text === 'more' || ws.at(k + 1)?.text === 'further') k++;
  const unitWord = ws.at(k + 1)?.text ?? '';
  const unit = DURATION_UNITS[unitWord];
  if (unit !== undefined) return { value: n, unit, next: k + 2 };
  // x 5/7, for 2/52
  const fraction = unitWord === '/' ? FRACTION_DURATION_UNITS[ws.at(k + 2)?.text ?? ''] : undefined;
  return fraction !== undefined ? { value: n, unit: fraction, next: k + 3 } : null;
}

/**
 * A course's length written after other instructions on the drug's line ("apply locally OD, 2 cm beyond the
 * margin, x 4 weeks", "0-0-1 from day 5 of cycle x 21 days", "bd to affected areas for 7 days"): the first
 * "x N days" or "for N weeks" before the sentence or clause ends. The fields the dosage reader stopped short of.
 */
export function trailingDuration(text: string): { value: number; unit: string } | null {
  const ws = new Words(text);
  for (let i = 0; ws.at(i) !== undefined; i++) {
    const w = ws.at(i) as Word;
    if (w.text === ';' || (w.text === '.' && ws.at(i + 1)?.capital === true)) return null;
    const duration = DURATION_LEADS.has(w.text) ? durationAt(ws, i) : null;
    if (duration && duration.unit !== 'h' && ws.at(duration.next)?.text !== 'ago') return { value: duration.value, unit: duration.unit };
  }
  return null;
}

/**
 * The form and route written before a drug's name ("Tab", "Inj.", "IV", "Cap. Omez"): read backwards from the
 * end of `text` (what the line says between the previous entity and the drug) over at most four words, up to
 * the first that is neither a form nor a route. Returns the fields and the offset of the first word read
 * (text.length when none).
 */
export function parseDosageBefore(text: string): { fields: Pick<DosageFields, 'form' | 'route'>; start: number } {
  // Four words back fit in the last 48 characters (a word cut at the edge is read as unknown).
  const offset = Math.max(0, text.length - 48);
  const ws = new Words(text.slice(offset));
  let count = 0;
  while (ws.at(count) !== undefined) count++;
  const fields: Pick<DosageFields, 'form' | 'route'> = {};
  let start = text.length;
  for (let i = count - 1, seen = 0; i >= 0 && seen < 4; i--) {
    const w = ws.at(i) as Word;
    if (PUNCTUATION.has(w.text) || w.text === '.') continue;
    seen++;
    // "T." is a tablet before a drug's name
    const form = w.text === 't' && ws.at(i + 1)?.text === '.' ? { value: 'tablet', next: i + 1 } : matchPhrase(FORM, ws, i);
    const route = form ? null : matchPhrase(ROUTE, ws, i);
    if (form) fields.form ??= form.value;
    else if (route) fields.route ??= route.value;
    else break;
    start = offset + w.start;
  }
  return { fields, start };
}
