import type { ExtractionRecord } from '../core/text/types.js';

/** What a nightly run writes to report.json (and, readable, report.html). */
export interface NightlyReport {
  day: string;
  jobId: string;
  modelVersions: string[];
  startedAt: string;
  finishedAt: string;
  /** From the submission's creation to its last note stored (a re-run keeps the first run's figure). */
  seconds: number;
  notesPerSecond: number;
  /** This invocation's own time: a re-run of a finished day takes about none. */
  runSeconds: number;
  notes: {
    /** Notes read from the inbox (after skipping bad lines and repeated ids). */
    read: number;
    done: number;
    failed: number;
    /** Inbox lines skipped: bad JSON or CSV, no id, no text, an id seen earlier that day. */
    skipped: number;
  };
  inboxFiles: { name: string; sha256: string; notes: number }[];
  /** Skipped lines and failed notes with their reasons (never the text); at most `failuresShown`. */
  failures: { noteId?: string; file?: string; line?: number; reason: string }[];
  failuresTotal: number;
  entities: { disease: number; treatment: number; perNote: number };
  topDiseases: { text: string; notes: number }[];
  topTreatments: { text: string; notes: number }[];
  topPairs: { disease: string; treatment: string; notes: number }[];
  drift: unknown;
  /** RECORD_TEXT_RETENTION_DAYS: note texts of older records purged after the run (absent when texts are kept). */
  textRetention?: { days: number; recordTextsPurged?: number; error?: string };
}

export type RecordTally = Pick<NightlyReport, 'entities' | 'topDiseases' | 'topTreatments' | 'topPairs' | 'modelVersions'>;

/** Counts entities and pairs over a run's records as they stream by; names are compared lower-cased. */
export function createRecordTally(top = 20): { add(record: ExtractionRecord): void; result(): RecordTally } {
  const diseases = new Map<string, number>();
  const treatments = new Map<string, number>();
  const pairs = new Map<string, number>();
  const versions = new Set<string>();
  let records = 0;
  let diseaseMentions = 0;
  let treatmentMentions = 0;
  const countOncePerNote = (counts: Map<string, number>, keys: Iterable<string>): void => {
    for (const key of new Set(keys)) counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const ranked = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top);
  return {
    add(record) {
      records++;
      versions.add(record.modelVersion);
      diseaseMentions += record.diseases.length;
      treatmentMentions += record.treatments.length;
      countOncePerNote(diseases, record.diseases.map((e) => e.text.toLowerCase()));
      countOncePerNote(treatments, record.treatments.map((e) => e.text.toLowerCase()));
      countOncePerNote(pairs, record.pairs.map((p) => `${p.disease.toLowerCase()}\u0000${p.treatment.toLowerCase()}`));
    },
    result() {
      return {
        modelVersions: [...versions].sort(),
        entities: { disease: diseaseMentions, treatment: treatmentMentions, perNote: records === 0 ? 0 : Number(((diseaseMentions + treatmentMentions) / records).toFixed(3)) },
        topDiseases: ranked(diseases).map(([text, notes]) => ({ text, notes })),
        topTreatments: ranked(treatments).map(([text, notes]) => ({ text, notes })),
        topPairs: ranked(pairs).map(([key, notes]) => {
          const [disease = '', treatment = ''] = key.split('\u0000');
          return { disease, treatment, notes };
        }),
      };
    },
  };
}

const escapeHtml = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell ?? '')}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

interface DriftLike {
  score?: number;
  level?: string;
  features?: { name: string; score: number }[];
  error?: string;
}

/** The report as one self-contained HTML page (no scripts, no external assets); every value is escaped. */
export function renderReportHtml(report: NightlyReport): string {
  const drift = (report.drift ?? {}) as DriftLike;
  const driftSection = drift.error
    ? `<p>Drift was not measured: ${escapeHtml(drift.error)}</p>`
    : drift.level
      ? `<p class="level level-${escapeHtml(drift.level)}">Drift score ${escapeHtml(drift.score?.toFixed(4))}: <strong>${escapeHtml(drift.level)}</strong></p>${table(['feature', 'score'], (drift.features ?? []).map((f) => [f.name, f.score.toFixed(4)]))}`
      : '<p class="none">not measured</p>';
  const n = report.notes;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BeHealthy nightly report ${escapeHtml(report.day)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .8rem;border-bottom:1px solid #eee;text-align:left}
td:last-child,th:last-child{text-align:right}.kpi{display:flex;gap:2rem}.kpi div{font-size:1.3rem}.kpi span{display:block;font-size:.8rem;color:#666}
.none{color:#888}.level-none{color:#1a7f37}.level-watch{color:#9a6700}.level-retrain{color:#bc4c00}.level-alert{color:#cf222e}
</style></head><body>
<h1>Nightly report — ${escapeHtml(report.day)}</h1>
<p>Job ${escapeHtml(report.jobId)}, model ${escapeHtml(report.modelVersions.join(', ') || 'n/a')}, ${escapeHtml(report.startedAt)} → ${escapeHtml(report.finishedAt)}</p>
<div class="kpi">
<div>${n.done}<span>notes done</span></div><div>${n.failed}<span>failed</span></div><div>${n.skipped}<span>inbox lines skipped</span></div>
<div>${report.notesPerSecond}<span>notes/s</span></div><div>${report.entities.perNote}<span>entities per note</span></div>
</div>
<h2>Entities</h2>
${table(['type', 'mentions'], [['disease', report.entities.disease], ['treatment', report.entities.treatment]])}
<h2>Top diseases</h2>
${table(['disease', 'notes'], report.topDiseases.map((d) => [d.text, d.notes]))}
<h2>Top treatments</h2>
${table(['treatment', 'notes'], report.topTreatments.map((t) => [t.text, t.notes]))}
<h2>Top disease → treatment pairs</h2>
${table(['disease', 'treatment', 'notes'], report.topPairs.map((p) => [p.disease, p.treatment, p.notes]))}
<h2>Drift against the training data</h2>
${driftSection}
<h2>Failures (${report.failuresTotal})</h2>
${table(['note', 'where', 'reason'], report.failures.map((f) => [f.noteId ?? '', f.file ? `${f.file}:${f.line ?? ''}` : '', f.reason]))}
${report.textRetention ? `<h2>Note text retention</h2>\n<p>${report.textRetention.error ? `Record texts older than ${escapeHtml(report.textRetention.days)} days were not purged: ${escapeHtml(report.textRetention.error)}` : `${escapeHtml(report.textRetention.recordTextsPurged)} record texts older than ${escapeHtml(report.textRetention.days)} days purged`}</p>\n` : ''}<h2>Inbox files</h2>
${table(['file', 'sha256', 'notes'], report.inboxFiles.map((f) => [f.name, f.sha256.slice(0, 16), f.notes]))}
</body></html>
`;
}
