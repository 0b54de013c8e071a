import { describe, expect, it } from 'vitest';
import { headerAt, noteSections, sectionKindAt } from '../../src/core/clinical/sections.js';

describe('note sections', () => {
  const note = 'C/O cough x 4 days\nDx: URTI\nRx: tab azithromycin 500 OD\nInvestigations: CBC\nA: asthma. P: salbutamol inhaler';

  it('opens a section at each header at a line or sentence start, up to the next header (none before the first)', () => {
    const sections = noteSections(note);
    expect(sections.map((s) => [s.kind, note.slice(s.start, s.end).trim()])).toEqual([
      ['dx', 'Dx: URTI'],
      ['rx', 'Rx: tab azithromycin 500 OD'],
      ['other', 'Investigations: CBC'],
      ['dx', 'A: asthma.'],
      ['rx', 'P: salbutamol inhaler'],
    ]);
  });

  it('gives the kind of the section holding an offset, none before the first header', () => {
    const sections = noteSections('Seen today.\nImpression - gastritis\nPlan: pantoprazole');
    const text = 'Seen today.\nImpression - gastritis\nPlan: pantoprazole';
    expect(sectionKindAt(sections, text.indexOf('Seen'))).toBe(null);
    expect(sectionKindAt(sections, text.indexOf('gastritis'))).toBe('dx');
    expect(sectionKindAt(sections, text.indexOf('pantoprazole'))).toBe('rx');
  });

  it('reads what the emergency department or OPD gave as a treatment section', () => {
    const text = 'Imp: renal colic\nED Tx: ketorolac 15 mg IV\nOPD Rx: Tab Dolo 650 SOS';
    expect(noteSections(text).map((s) => s.kind)).toEqual(['dx', 'rx', 'rx']);
  });

  it('reads a header only where it starts', () => {
    expect(headerAt('Rx for vitamin D deficiency', 0)).toBe(null);
    expect(headerAt('Discharge medications:\n- aspirin', 0)).toBe('rx');
    expect(headerAt('Final diagnosis: sepsis', 0)).toBe('dx');
    expect(headerAt('Pre/postoperative diagnosis: displaced distal radius fracture', 0)).toBe('dx');
    expect(headerAt('Adv: tab pantocid 40 OD', 0)).toBe('rx');
    expect(headerAt('Mx:\n- Dexamethasone 1.7 mg PO stat', 0)).toBe('rx');
    expect(headerAt('IMP: AECOPD WITH PNEUMONIA', 0)).toBe('dx');
    expect(headerAt('Prov. diagnosis - dengue fever', 0)).toBe('dx');
    expect(headerAt('Diagnoses this admission:\n1. NSTEMI', 0)).toBe('dx');
    expect(headerAt('Impetigo over the face', 0)).toBe(null);
  });
});
