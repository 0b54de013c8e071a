import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDosageAfter, parseDosageBefore } from '../../src/core/clinical/dosage/parse-dosage.js';
import { dosageEnricher } from '../../src/core/clinical/dosage/dosage-enricher.js';
import type { Entity } from '../../src/core/text/types.js';

const after = (text: string) => parseDosageAfter(text).fields;

describe('parseDosageAfter: prescription notations', () => {
  it.each([
    ['500mg OD x5d', { doseQuantity: { value: 500, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd' }, boundsDuration: { value: 5, unit: 'd' } }],
    ['650 mg 1-0-1 x 5 days', { doseQuantity: { value: 650, unit: 'mg' }, timing: { frequency: 2, period: 1, periodUnit: 'd' }, boundsDuration: { value: 5, unit: 'd' } }],
    ['1-1-1 after food for 2 weeks', { timing: { frequency: 3, period: 1, periodUnit: 'd', when: ['PC'] }, boundsDuration: { value: 2, unit: 'wk' } }],
    ['40 mg BBF', { doseQuantity: { value: 40, unit: 'mg' } }],
    ['40 mg OD BBF', { doseQuantity: { value: 40, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['ACM'] } }],
    ['7.5 ml 6 hrly SOS', { doseQuantity: { value: 7.5, unit: 'mL' }, timing: { frequency: 1, period: 6, periodUnit: 'h' }, asNeeded: true }],
    ['30 mg OM', { doseQuantity: { value: 30, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['MORN'] } }],
    ['10 mg nocte', { doseQuantity: { value: 10, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['NIGHT'] } }],
    ['1 g IV q8h', { doseQuantity: { value: 1, unit: 'g' }, route: 'intravenous', timing: { frequency: 1, period: 8, periodUnit: 'h' } }],
    ['500 mg p.o. q.6h p.r.n.', { doseQuantity: { value: 500, unit: 'mg' }, route: 'oral', timing: { frequency: 1, period: 6, periodUnit: 'h' }, asNeeded: true }],
    ['2 puffs QID', { doseQuantity: { value: 2, unit: '{puff}' }, timing: { frequency: 4, period: 1, periodUnit: 'd' } }],
    ['60,000 IU once weekly x 8 weeks', { doseQuantity: { value: 60000, unit: '[iU]' }, timing: { frequency: 1, period: 1, periodUnit: 'wk' }, boundsDuration: { value: 8, unit: 'wk' } }],
    ['5% cream twice daily', { doseQuantity: { value: 5, unit: '%' }, form: 'cream', timing: { frequency: 2, period: 1, periodUnit: 'd' } }],
    ['10 units SC HS', { doseQuantity: { value: 10, unit: 'U' }, route: 'subcutaneous', timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['HS'] } }],
    ['five times a day for 7 days', { timing: { frequency: 5, period: 1, periodUnit: 'd' }, boundsDuration: { value: 7, unit: 'd' } }],
    ['TDS x 5/7', { timing: { frequency: 3, period: 1, periodUnit: 'd' }, boundsDuration: { value: 5, unit: 'd' } }],
    ['STAT', {}],
    ['10 ml at bedtime, single dose', { doseQuantity: { value: 10, unit: 'mL' } }],
    [', net -4.2 L. AF with RVR', {}],
    ['1-0-1 x 5 days', { timing: { frequency: 2, period: 1, periodUnit: 'd' }, boundsDuration: { value: 5, unit: 'd' } }],
    ['1 g IV stat then BD x 5 days', { doseQuantity: { value: 1, unit: 'g' }, route: 'intravenous', timing: { frequency: 2, period: 1, periodUnit: 'd' }, boundsDuration: { value: 5, unit: 'd' } }],
    ['2 tablets qds prn', { doseQuantity: { value: 2, unit: '{tablet}' }, form: 'tablet', timing: { frequency: 4, period: 1, periodUnit: 'd' }, asNeeded: true }],
    ['10 ml in a glass of water TDS x 5 days', { doseQuantity: { value: 10, unit: 'mL' }, timing: { frequency: 3, period: 1, periodUnit: 'd' }, boundsDuration: { value: 5, unit: 'd' } }],
    ['SOS', { asNeeded: true }],
    ['250 mg/5 ml syrup 5 ml TDS', { doseQuantity: { value: 5, unit: 'mL' }, form: 'syrup', timing: { frequency: 3, period: 1, periodUnit: 'd' } }],
    ['0.1% eye drops 1 drop BD', { doseQuantity: { value: 1, unit: '{drop}' }, route: 'ophthalmic', form: 'drops', timing: { frequency: 2, period: 1, periodUnit: 'd' } }],
    ['5 mg/kg', { doseQuantity: { value: 5, unit: 'mg' } }],
    ['24/26 mg PO BID', { route: 'oral', timing: { frequency: 2, period: 1, periodUnit: 'd' } }],
    ['1 OD after lunch', { timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['PCD'] } }],
    ['500 mg PO BID for 7 more days', { doseQuantity: { value: 500, unit: 'mg' }, route: 'oral', timing: { frequency: 2, period: 1, periodUnit: 'd' }, boundsDuration: { value: 7, unit: 'd' } }],
    ['650 OD', { doseQuantity: { value: 650, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd' } }],
    ['3 times a day', { timing: { frequency: 3, period: 1, periodUnit: 'd' } }],
    ['on alternate days', { timing: { frequency: 1, period: 2, periodUnit: 'd' } }],
    ['40 mg ON', { doseQuantity: { value: 40, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['NIGHT'] } }],
    ['10 mg on examination', { doseQuantity: { value: 10, unit: 'mg' } }],
    ['1 g 6-hourly PRN', { doseQuantity: { value: 1, unit: 'g' }, timing: { frequency: 1, period: 6, periodUnit: 'h' }, asNeeded: true }],
    ['400 mg 4-6 hourly', { doseQuantity: { value: 400, unit: 'mg' }, timing: { frequency: 1, period: 4, periodUnit: 'h' } }],
    ['150 mg ON until 36 weeks', { doseQuantity: { value: 150, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd', when: ['NIGHT'] } }],
    ['100 micrograms OD', { doseQuantity: { value: 100, unit: 'ug' }, timing: { frequency: 1, period: 1, periodUnit: 'd' } }],
    ['500 mg BD three weeks ago', { doseQuantity: { value: 500, unit: 'mg' }, timing: { frequency: 2, period: 1, periodUnit: 'd' } }],
    ['60 mg IV every 14 days', { doseQuantity: { value: 60, unit: 'mg' }, route: 'intravenous', timing: { frequency: 1, period: 14, periodUnit: 'd' } }],
    ['one sachet TDS', { doseQuantity: { value: 1, unit: '{sachet}' }, form: 'sachet', timing: { frequency: 3, period: 1, periodUnit: 'd' } }],
    ['100 micrograms two puffs BD', { doseQuantity: { value: 2, unit: '{puff}' }, timing: { frequency: 2, period: 1, periodUnit: 'd' } }],
  ])('%s', (text, expected) => {
    expect(after(text)).toEqual(expected);
  });

  it('stops at a sentence that is no part of the dosage, and after three words no rule reads', () => {
    expect(after('SOS. Review after 5 days')).toEqual({ asNeeded: true });
    expect(after('for hypertension diagnosed 3 years ago')).toEqual({});
    // A time since, not a dose or a course: "started on Nexito 10 6 wks ago".
    expect(after('6 wks ago.')).toEqual({});
    expect(after('6 weeks back')).toEqual({});
    expect(after('0.25 mg SC weekly, increase to 0.5 mg after 4 weeks').boundsDuration).toBeUndefined();
    // A comma after a complete instruction, then another item's name: "Tab PCM 500 mg SOS, MVI 1 OD".
    expect(after('500 mg SOS, MVI 1 OD')).toEqual({ doseQuantity: { value: 500, unit: 'mg' }, asNeeded: true });
    expect(after('625 BD, AFTER FOOD X 5 DAYS')).toEqual({ doseQuantity: { value: 625, unit: 'mg' }, timing: { frequency: 2, period: 1, periodUnit: 'd', when: ['PC'] }, boundsDuration: { value: 5, unit: 'd' } });
    expect(after('10 mg daily. B.I.D. was tried before')).toEqual({ doseQuantity: { value: 10, unit: 'mg' }, timing: { frequency: 1, period: 1, periodUnit: 'd' } });
  });

  it('"a day" is a frequency, not a duration of one day', () => {
    expect(after('1 tab a day')).toEqual({ doseQuantity: { value: 1, unit: '{tablet}' }, form: 'tablet', timing: { frequency: 1, period: 1, periodUnit: 'd' } });
  });

  it('end is just past the last word read', () => {
    const text = '500 mg BD x 5 days then review';
    expect(text.slice(0, parseDosageAfter(text).end)).toBe('500 mg BD x 5 days');
    expect(parseDosageAfter('nothing here').end).toBe(0);
  });
});

describe('parseDosageBefore', () => {
  it('reads the form and route written before the drug', () => {
    expect(parseDosageBefore('Rx: 1) Inj. ').fields).toEqual({ form: 'injection' });
    expect(parseDosageBefore('Tab ').fields).toEqual({ form: 'tablet' });
    expect(parseDosageBefore('given IV ').fields).toEqual({ route: 'intravenous' });
    const text = 'Plan: tab ';
    expect(text.slice(parseDosageBefore(text).start)).toBe('tab ');
    expect(parseDosageBefore('started on ').fields).toEqual({});
  });
});

function drug(text: string, name: string, from = 0): Entity {
  const start = text.indexOf(name, from);
  return { type: 'treatment', kind: 'drug', text: name, start, end: start + name.length, assertion: 'present', confidence: 1 };
}

describe('dosageEnricher', () => {
  it('reads each drug up to the next drug or the end of its line, with the form before it', () => {
    const text = 'Rx: tab azithromycin 500mg OD x5d, tab paracetamol 650mg SOS\nInj ceftriaxone 1 g IV BD';
    const entities = [drug(text, 'azithromycin'), drug(text, 'paracetamol'), drug(text, 'ceftriaxone')];
    dosageEnricher().apply({ text }, entities);
    const [azithro, para, ceftri] = entities as [Entity, Entity, Entity];
    expect(azithro.dosage).toMatchObject({ text: 'tab azithromycin 500mg OD x5d', form: 'tablet', doseQuantity: { value: 500, unit: 'mg' }, boundsDuration: { value: 5, unit: 'd' } });
    expect(para.dosage).toMatchObject({ text: 'tab paracetamol 650mg SOS', asNeeded: true });
    expect(para.dosage?.boundsDuration).toBeUndefined();
    expect(ceftri.dosage).toMatchObject({ form: 'injection', route: 'intravenous', timing: { frequency: 2 } });
    for (const e of entities) expect(text.slice(e.dosage?.start, e.dosage?.end)).toBe(e.dosage?.text);
  });

  it('gives no dosage where the note states none, and none to procedures or diseases', () => {
    const text = 'Continue metformin. Physiotherapy daily. Fever x3d';
    const metformin = drug(text, 'metformin');
    const physio: Entity = { ...drug(text, 'Physiotherapy'), kind: 'procedure' };
    const fever: Entity = { ...drug(text, 'Fever'), type: 'disease', kind: 'symptom' };
    dosageEnricher().apply({ text }, [metformin, physio, fever]);
    expect(metformin.dosage).toBeUndefined();
    expect(physio.dosage).toBeUndefined();
    expect(fever.dosage).toBeUndefined();
  });

  it('takes a course length written after other instructions on the line, not past the sentence or another drug', () => {
    const text = 'Lulifin cream - apply locally OD, 2 cm beyond the margin, x 4 weeks\nTab Dolo 650 SOS for fever. Review after 3 days.\nTab Krimson 35 0-0-1 from day 5 of cycle x 21 days';
    const entities = [drug(text, 'Lulifin'), drug(text, 'Dolo 650'), drug(text, 'Krimson 35')];
    dosageEnricher().apply({ text }, entities);
    const [lulifin, dolo, krimson] = entities as [Entity, Entity, Entity];
    expect(lulifin.dosage?.boundsDuration).toEqual({ value: 4, unit: 'wk' });
    expect(dolo.dosage?.boundsDuration).toBeUndefined();
    expect(krimson.dosage?.boundsDuration).toEqual({ value: 21, unit: 'd' });
  });

  it('keeps a brand strength as the dose unless the note writes another', () => {
    const text = 'Tab Dolo 650 TDS\nTab Dolo 650 500 mg TDS';
    const first = drug(text, 'Dolo 650');
    const second = drug(text, 'Dolo 650', first.end);
    for (const e of [first, second]) e.dosage = { text: e.text, start: e.start, end: e.end, doseQuantity: { value: 650, unit: 'mg' } };
    dosageEnricher().apply({ text }, [first, second]);
    expect(first.dosage?.doseQuantity).toEqual({ value: 650, unit: 'mg' });
    expect(second.dosage?.doseQuantity).toEqual({ value: 500, unit: 'mg' });
  });
});

const NOTATION = ['OD', 'bd', 'TDS', 'q6h', '1-0-1', 'x5d', 'for 2 weeks', '500mg', '60,000 IU', 'SOS', 'p.r.n.', 'b.i.d.', '5%', 'IV', 'SC', '. Review', '\n', ';', '½-0-½', 'q.', '1/2', '5/7', 'x', 'for', '-', 'tab', 'times a day'];
const noteText = fc.array(fc.oneof(fc.constantFrom(...NOTATION), fc.string({ maxLength: 6 }), fc.integer({ min: -5, max: 100_000 }).map(String)), { maxLength: 40 }).map((parts) => parts.join(' '));

describe('dosage parser: properties', () => {
  it('never throws, reads within the text, and gives finite positive values', () => {
    fc.assert(
      fc.property(fc.oneof(noteText, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 })), (text) => {
        const { fields, end } = parseDosageAfter(text);
        expect(end).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThanOrEqual(text.length);
        for (const q of [fields.doseQuantity, fields.boundsDuration]) if (q) expect(Number.isFinite(q.value) && q.value > 0).toBe(true);
        if (fields.timing) expect(fields.timing.frequency > 0 && fields.timing.period > 0).toBe(true);
        const before = parseDosageBefore(text);
        expect(before.start).toBeGreaterThanOrEqual(0);
        expect(before.start).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 500 },
    );
  });

  it('the enricher never throws and its dosage text is the note slice it names', () => {
    fc.assert(
      fc.property(noteText, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 12 })), { maxLength: 6 }), (text, cuts) => {
        const entities: Entity[] = cuts
          .map(([at, length]) => ({ start: at % Math.max(1, text.length), length }))
          .map(({ start, length }) => ({ type: 'treatment' as const, text: text.slice(start, Math.min(text.length, start + length)), start, end: Math.min(text.length, start + length), assertion: 'present' as const, confidence: 1 }))
          .filter((e) => e.end > e.start);
        dosageEnricher().apply({ text }, entities);
        for (const e of entities) if (e.dosage) expect(text.slice(e.dosage.start, e.dosage.end)).toBe(e.dosage.text);
      }),
      { numRuns: 300 },
    );
  });

  it('stays linear: a text 8 times longer takes at most about 8 times as long', () => {
    const unit = 'tab 500mg OD x5d after food 1-0-1 SOS q6h for 2 weeks then see clinic ';
    const time = (text: string): number => {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) parseDosageAfter(text);
      return performance.now() - t0;
    };
    // Unknown words end the dosage early, so the long input is one long run of dosage words.
    const dense = (n: number): string => '500 mg OD x5d 1-0-1 SOS q6h '.repeat(n);
    time(dense(200));
    const small = time(dense(2_000));
    const large = time(dense(16_000));
    expect(large).toBeLessThan(small * 8 * 3);
    expect(parseDosageAfter(unit.repeat(5_000)).end).toBeLessThan(unit.length);
  });
});
