import { describe, expect, it } from 'vitest';
import type { ExtractionRecord } from '../../src/core/text/types.js';
import { createRecordTally, renderReportHtml, type NightlyReport } from '../../src/monitoring/nightly-report.js';
import { nightlyJobId, previousDay } from '../../src/queue/nightly-run.js';

function record(noteId: string, diseases: string[], treatments: string[]): ExtractionRecord {
  const d = diseases.map((text) => ({ type: 'disease' as const, text, start: 0, end: text.length, assertion: 'present' as const, confidence: 1 }));
  const t = treatments.map((text) => ({ type: 'treatment' as const, text, start: 0, end: text.length, assertion: 'present' as const, confidence: 1 }));
  return { noteId, modelVersion: 'v1', diseases: d, treatments: t, entities: [...d, ...t], pairs: d.flatMap((x) => t.map((y) => ({ disease: x.text, treatment: y.text }))) };
}

describe('nightly report', () => {
  it('counts mentions, and notes per name (case-folded, once per note)', () => {
    const tally = createRecordTally(2);
    tally.add(record('a', ['Asthma', 'asthma'], ['salbutamol']));
    tally.add(record('b', ['asthma', 'gout'], []));
    tally.add(record('c', ['Gout'], ['allopurinol']));
    tally.add(record('d', ['flu'], []));
    expect(tally.result()).toEqual({
      modelVersions: ['v1'],
      entities: { disease: 6, treatment: 2, perNote: 2 },
      topDiseases: [{ text: 'asthma', notes: 2 }, { text: 'gout', notes: 2 }],
      topTreatments: [{ text: 'allopurinol', notes: 1 }, { text: 'salbutamol', notes: 1 }],
      topPairs: [{ disease: 'asthma', treatment: 'salbutamol', notes: 1 }, { disease: 'gout', treatment: 'allopurinol', notes: 1 }],
    });
  });

  it('counts coded names by concept: "HTN" and "hypertension" are one disease, Augmentin and amoxicillin-clavulanate one treatment', () => {
    const icd = (code: string, display: string) => [{ system: 'ICD-10-CM' as const, code, display, score: 0.9 }];
    const entity = (type: 'disease' | 'treatment', text: string, extra: object) => ({ type, text, start: 0, end: text.length, assertion: 'present' as const, confidence: 1, ...extra });
    const coded = (noteId: string, disease: string, treatment: string): ExtractionRecord => {
      const d = entity('disease', disease, { codes: icd('I10', 'Essential (primary) hypertension') });
      const t = entity('treatment', treatment, { generic: ['amoxicillin', 'clavulanic acid'] });
      return { noteId, modelVersion: 'v1', diseases: [d], treatments: [t], entities: [d, t], pairs: [{ disease, treatment, evidence: 'explicit-link' }] };
    };
    const tally = createRecordTally();
    tally.add(coded('a', 'HTN', 'Augmentin'));
    tally.add(coded('b', 'hypertension', 'amoxicillin-clavulanate'));
    tally.add(record('c', ['Hypertension'], []));
    const result = tally.result();
    expect(result.topDiseases).toEqual([
      { text: 'htn', code: 'I10', display: 'Essential (primary) hypertension', notes: 2 },
      { text: 'hypertension', notes: 1 },
    ]);
    expect(result.topTreatments).toEqual([{ text: 'augmentin', generic: 'amoxicillin + clavulanic acid', notes: 2 }]);
    expect(result.topPairs).toEqual([{ disease: 'htn', treatment: 'augmentin', code: 'I10', display: 'Essential (primary) hypertension', generic: 'amoxicillin + clavulanic acid', notes: 2 }]);
  });

  it('renders HTML with every value escaped', () => {
    const tally = createRecordTally();
    tally.add(record('a', ['<script>alert(1)</script>'], []));
    const report: NightlyReport = {
      day: '2026-03-04', jobId: 'j', startedAt: 's', finishedAt: 'f', seconds: 1, runSeconds: 1, notesPerSecond: 1,
      notes: { read: 1, done: 1, failed: 0, skipped: 1 }, inboxFiles: [{ name: 'a&b.jsonl', sha256: 'ff', notes: 1 }],
      failures: [{ file: 'a&b.jsonl', line: 2, reason: 'not valid JSON <x>' }], failuresTotal: 1,
      drift: { score: 0.31, level: 'alert', features: [{ name: 'shape', score: 0.31 }] }, ...tally.result(),
    };
    const html = renderReportHtml(report);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('a&amp;b.jsonl:2');
    expect(html).toMatch(/level-alert.*0\.3100/);
    expect(html).not.toContain('Note text retention');
    expect(renderReportHtml({ ...report, textRetention: { days: 30, recordTextsPurged: 12 } })).toContain('12 record texts older than 30 days purged');
    expect(renderReportHtml({ ...report, textRetention: { days: 30, error: 'PostgreSQL <down>' } })).toContain('were not purged: PostgreSQL &lt;down&gt;');
  });

  it('names a day\'s submission by the day and its inbox files, as a UUID', () => {
    const id = nightlyJobId('2026-03-04', 'abc');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nightlyJobId('2026-03-04', 'abc')).toBe(id);
    expect(nightlyJobId('2026-03-05', 'abc')).not.toBe(id);
    expect(nightlyJobId('2026-03-04', 'abd')).not.toBe(id);
  });

  it('processes the day before, in the configured time zone', () => {
    const at = new Date('2026-03-04T20:30:00Z');
    expect(previousDay(at, 'UTC')).toBe('2026-03-03');
    expect(previousDay(at, 'Asia/Kolkata')).toBe('2026-03-04'); // already 02:00 on the 5th there
    expect(previousDay(new Date('2026-03-01T01:00:00Z'), 'UTC')).toBe('2026-02-28');
  });
});
