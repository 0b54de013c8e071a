/**
 * The words prescriptions use for how a drug is taken, as data: the parser (parse-dosage.ts) reads a note's
 * words through these tables only. Indian, British and US notation: OD/BD/TDS/QID, 1-0-1, BBF/AC/PC, q6h,
 * x5d, 5/7, SOS/PRN. Units are UCUM codes (the FHIR Quantity's `unit`); `when` values are FHIR EventTiming
 * codes; routes and forms are the lower-case English names of SNOMED CT's route and dose-form concepts.
 *
 * A word is looked up lower-cased with its periods kept ("b.i.d.", "p.o."); a phrase is a list of words.
 */

export type PeriodUnit = 'min' | 'h' | 'd' | 'wk' | 'mo';

export interface TimingRule {
  frequency: number;
  period: number;
  periodUnit: PeriodUnit;
  when?: string;
}

const DAILY: TimingRule = { frequency: 1, period: 1, periodUnit: 'd' };
const perDay = (frequency: number, when?: string): TimingRule => ({ frequency, period: 1, periodUnit: 'd', ...(when ? { when } : {}) });
const perWeek = (frequency: number): TimingRule => ({ frequency, period: 1, periodUnit: 'wk' });

/** Frequency phrases, by their words (the longest phrase that matches is taken). */
export const FREQUENCY_PHRASES: readonly (readonly [string, TimingRule])[] = [
  ['od', DAILY], ['o.d.', DAILY], ['o.d', DAILY], ['qd', DAILY], ['q.d.', DAILY], ['daily', DAILY], ['once daily', DAILY], ['once a day', DAILY],
  ['once in a day', DAILY], ['every day', DAILY], ['per day', DAILY], ['a day', DAILY], ['qam', perDay(1, 'MORN')], ['every morning', perDay(1, 'MORN')],
  ['in the morning', perDay(1, 'MORN')], ['qpm', perDay(1, 'EVE')], ['every evening', perDay(1, 'EVE')], ['every night', perDay(1, 'NIGHT')],
  ['at night', perDay(1, 'NIGHT')], ['nightly', perDay(1, 'NIGHT')], ['om', perDay(1, 'MORN')], ['o.m.', perDay(1, 'MORN')], ['mane', perDay(1, 'MORN')],
  ['nocte', perDay(1, 'NIGHT')], ['o.n.', perDay(1, 'NIGHT')],
  ['hs', perDay(1, 'HS')], ['h.s.', perDay(1, 'HS')], ['qhs', perDay(1, 'HS')], ['q.h.s.', perDay(1, 'HS')], ['at bedtime', perDay(1, 'HS')], ['bedtime', perDay(1, 'HS')],
  ['bd', perDay(2)], ['b.d.', perDay(2)], ['bid', perDay(2)], ['b.i.d.', perDay(2)], ['b.i.d', perDay(2)], ['twice daily', perDay(2)], ['twice a day', perDay(2)],
  ['twice in a day', perDay(2)], ['two times a day', perDay(2)], ['two times daily', perDay(2)],
  ['tds', perDay(3)], ['t.d.s.', perDay(3)], ['tid', perDay(3)], ['t.i.d.', perDay(3)], ['t.i.d', perDay(3)], ['thrice daily', perDay(3)], ['thrice a day', perDay(3)],
  ['three times a day', perDay(3)], ['three times daily', perDay(3)],
  ['qid', perDay(4)], ['q.i.d.', perDay(4)], ['q.i.d', perDay(4)], ['qds', perDay(4)], ['q.d.s.', perDay(4)], ['four times a day', perDay(4)], ['four times daily', perDay(4)],
  ['five times a day', perDay(5)], ['five times daily', perDay(5)], ['six times a day', perDay(6)],
  ['weekly', perWeek(1)], ['once weekly', perWeek(1)], ['once a week', perWeek(1)], ['every week', perWeek(1)], ['per week', perWeek(1)],
  ['twice weekly', perWeek(2)], ['twice a week', perWeek(2)], ['thrice weekly', perWeek(3)], ['three times a week', perWeek(3)],
  ['every other day', { frequency: 1, period: 2, periodUnit: 'd' }], ['alternate day', { frequency: 1, period: 2, periodUnit: 'd' }],
  ['alternate days', { frequency: 1, period: 2, periodUnit: 'd' }], ['on alternate days', { frequency: 1, period: 2, periodUnit: 'd' }],
  ['monthly', { frequency: 1, period: 1, periodUnit: 'mo' }], ['once a month', { frequency: 1, period: 1, periodUnit: 'mo' }],
  ['hourly', { frequency: 1, period: 1, periodUnit: 'h' }],
];

/** Words after "N times" that make it a frequency per that period ("3 times a day", "2 times weekly"). */
export const TIMES_PERIODS: Readonly<Record<string, PeriodUnit>> = { day: 'd', daily: 'd', week: 'wk', weekly: 'wk', month: 'mo' };

/** "q" and "every" before a count of hours: q6h, q.6h, q 8 hrs, every 4 hours. */
export const EVERY_WORDS: ReadonlySet<string> = new Set(['q', 'q.', 'every']);
export const HOUR_WORDS: ReadonlySet<string> = new Set(['h', 'hr', 'hrs', 'hour', 'hours', 'hrly', 'hourly']);

/** When in the day (FHIR EventTiming), without a frequency of its own. */
export const WHEN_PHRASES: readonly (readonly [string, string])[] = [
  ['bbf', 'ACM'], ['before breakfast', 'ACM'], ['abf', 'PCM'], ['after breakfast', 'PCM'], ['ac', 'AC'], ['a.c.', 'AC'], ['before food', 'AC'],
  ['before meals', 'AC'], ['before meal', 'AC'], ['empty stomach', 'AC'], ['on empty stomach', 'AC'], ['pc', 'PC'], ['p.c.', 'PC'],
  ['after food', 'PC'], ['after meals', 'PC'], ['after meal', 'PC'], ['with food', 'C'], ['with meals', 'C'], ['after lunch', 'PCD'],
  ['before lunch', 'ACD'], ['after dinner', 'PCV'], ['before dinner', 'ACV'], ['with breakfast', 'CM'],
];

/** Words that say the dose is given once, with no frequency ("10 ml at bedtime, single dose"). */
export const ONE_TIME_PHRASES: readonly string[] = ['stat', 'single dose', 'as a single dose', 'once only', 'one dose', 'one time only'];

/** Words that say the drug is taken only when needed. */
export const AS_NEEDED_PHRASES: readonly string[] = [
  'sos', 's.o.s.', 's.o.s', 'prn', 'p.r.n.', 'p.r.n', 'as needed', 'as required', 'when required', 'if required', 'when needed', 'if needed',
  'as and when required', 'on demand', 'when necessary', 'as necessary',
];

/** Routes as written, to their names. */
export const ROUTE_PHRASES: readonly (readonly [string, string])[] = [
  ['po', 'oral'], ['p.o.', 'oral'], ['p.o', 'oral'], ['per oral', 'oral'], ['per os', 'oral'], ['oral', 'oral'], ['orally', 'oral'], ['by mouth', 'oral'],
  ['iv', 'intravenous'], ['i.v.', 'intravenous'], ['i.v', 'intravenous'], ['intravenous', 'intravenous'], ['intravenously', 'intravenous'],
  ['ivi', 'intravenous'], ['im', 'intramuscular'], ['i.m.', 'intramuscular'], ['intramuscular', 'intramuscular'], ['intramuscularly', 'intramuscular'],
  ['sc', 'subcutaneous'], ['s.c.', 'subcutaneous'], ['s/c', 'subcutaneous'], ['sq', 'subcutaneous'], ['subcut', 'subcutaneous'],
  ['subcutaneous', 'subcutaneous'], ['subcutaneously', 'subcutaneous'], ['sl', 'sublingual'], ['sublingual', 'sublingual'], ['sublingually', 'sublingual'],
  ['topical', 'topical'], ['topically', 'topical'], ['local application', 'topical'], ['locally', 'topical'], ['inhaled', 'inhalation'],
  ['inhalation', 'inhalation'], ['via inhaler', 'inhalation'], ['via nebulizer', 'inhalation'], ['intranasal', 'nasal'], ['nasal', 'nasal'],
  ['per rectum', 'rectal'], ['rectally', 'rectal'], ['pr', 'rectal'], ['per vaginum', 'vaginal'], ['vaginally', 'vaginal'], ['vaginal', 'vaginal'], ['transdermal', 'transdermal'],
  ['eye', 'ophthalmic'], ['ophthalmic', 'ophthalmic'], ['ear', 'otic'],
];

/** Dose forms as written, to their names. A form word is read before the drug ("Tab Dolo 650") or after it. */
export const FORM_PHRASES: readonly (readonly [string, string])[] = [
  ['tab', 'tablet'], ['tab.', 'tablet'], ['tabs', 'tablet'], ['tablet', 'tablet'], ['tablets', 'tablet'], ['cap', 'capsule'], ['cap.', 'capsule'],
  ['caps', 'capsule'], ['capsule', 'capsule'], ['capsules', 'capsule'], ['syp', 'syrup'], ['syp.', 'syrup'], ['syr', 'syrup'], ['syrup', 'syrup'],
  ['susp', 'suspension'], ['suspension', 'suspension'], ['inj', 'injection'], ['inj.', 'injection'], ['injection', 'injection'], ['cream', 'cream'],
  ['oint', 'ointment'], ['ointment', 'ointment'], ['gel', 'gel'], ['lotion', 'lotion'], ['drops', 'drops'], ['drop', 'drops'], ['gtt', 'drops'],
  ['inhaler', 'inhaler'], ['mdi', 'inhaler'], ['rotacaps', 'inhaler'], ['neb', 'nebuliser solution'], ['nebs', 'nebuliser solution'],
  ['nebulization', 'nebuliser solution'], ['nebulisation', 'nebuliser solution'], ['respules', 'nebuliser solution'], ['sachet', 'sachet'],
  ['supp', 'suppository'], ['suppository', 'suppository'], ['patch', 'patch'], ['spray', 'spray'], ['powder', 'powder'], ['lozenge', 'lozenge'],
  ['solution', 'solution'], ['shampoo', 'shampoo'], ['soap', 'soap'], ['sachets', 'sachet'], ['rotacap', 'inhaler'], ['gargle', 'gargle'],
  ['gargles', 'gargle'], ['mouthwash', 'mouthwash'], ['inh', 'inhaler'], ['inh.', 'inhaler'],
];

/** Dose units as written, to UCUM. */
export const DOSE_UNITS: Readonly<Record<string, string>> = {
  mg: 'mg', mgs: 'mg', mcg: 'ug', 'µg': 'ug', ug: 'ug', g: 'g', gm: 'g', gms: 'g', gram: 'g', grams: 'g', ml: 'mL', mls: 'mL', cc: 'mL', l: 'L',
  iu: '[iU]', units: 'U', unit: 'U', u: 'U', '%': '%', puff: '{puff}', puffs: '{puff}', tab: '{tablet}', tabs: '{tablet}', tablet: '{tablet}',
  tablets: '{tablet}', cap: '{capsule}', caps: '{capsule}', capsule: '{capsule}', capsules: '{capsule}', drop: '{drop}', drops: '{drop}',
  sachet: '{sachet}', sachets: '{sachet}', meq: 'meq', mmol: 'mmol', mu: '10*6.[iU]', tsp: '[tsp_us]', tsf: '[tsp_us]', spray: '{spray}',
  sprays: '{spray}', microgram: 'ug', micrograms: 'ug', milligram: 'mg', milligrams: 'mg', millilitre: 'mL', millilitres: 'mL', milliliter: 'mL',
  milliliters: 'mL', nanograms: 'ng', ng: 'ng',
};

/** Dose units that name a strength rather than an amount taken: a later amount ("5 ml", "1 drop") is the dose. */
export const STRENGTH_UNITS: ReadonlySet<string> = new Set(['%']);

/** Duration units as written, to UCUM (x5d, for 2 weeks, x 3 mths). */
export const DURATION_UNITS: Readonly<Record<string, string>> = {
  d: 'd', day: 'd', days: 'd', dys: 'd', wk: 'wk', wks: 'wk', week: 'wk', weeks: 'wk', w: 'wk', m: 'mo', mo: 'mo', mon: 'mo', mth: 'mo', mths: 'mo',
  month: 'mo', months: 'mo', nights: 'd', h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h', y: 'a', yr: 'a', yrs: 'a', year: 'a', years: 'a',
};

/** Words that introduce a duration ("x5d", "× 5 days", "for 2 weeks", "for a period of 1 month"). */
export const DURATION_LEADS: ReadonlySet<string> = new Set(['x', '×', 'for', 'till', 'over']);

/** British fractions of time: "x 5/7" five days, "2/52" two weeks, "3/12" three months. */
export const FRACTION_DURATION_UNITS: Readonly<Record<string, string>> = { '7': 'd', '52': 'wk', '12': 'mo' };

/** Counts written as words. */
export const NUMBER_WORDS: Readonly<Record<string, number>> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, fourteen: 14, half: 0.5, '½': 0.5,
};
