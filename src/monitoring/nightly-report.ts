import type { Entity, ExtractionRecord } from '../core/text/types.js';

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
  /** By ICD-10-CM code when coded ("HTN" and "hypertension" are one row, I10), else by name; `text` is the first name seen. */
  topDiseases: { text: string; code?: string; display?: string; notes: number }[];
  /** By active ingredients when known, else by name. */
  topTreatments: { text: string; generic?: string; notes: number }[];
  topPairs: { disease: string; treatment: string; code?: string; display?: string; generic?: string; notes: number }[];
  drift: unknown;
  /** RECORD_TEXT_RETENTION_DAYS: note texts of older records purged after the run (absent when texts are kept). */
  textRetention?: { days: number; recordTextsPurged?: number; error?: string };
}

export type RecordTally = Pick<NightlyReport, 'entities' | 'topDiseases' | 'topTreatments' | 'topPairs' | 'modelVersions'>;

interface Concept {
  key: string;
  text: string;
  code?: string;
  display?: string;
  generic?: string;
}

/** What a name is counted as: its ICD-10-CM code (a disease) or its ingredients (a drug) when known, else its lower-cased text. */
function conceptOf(entity: Entity | undefined, text: string): Concept {
  const lower = text.toLowerCase();
  const icd = entity?.type === 'disease' ? entity.codes?.find((c) => c.system === 'ICD-10-CM') : undefined;
  if (icd) return { key: `code:${icd.code}`, text: lower, code: icd.code, display: icd.display };
  const generic = entity?.type === 'treatment' && entity.generic && entity.generic.length > 0 ? entity.generic.join(' + ') : undefined;
  if (generic) return { key: `generic:${generic}`, text: lower, generic };
  return { key: `name:${lower}`, text: lower };
}

/** Counts entities and pairs over a run's records as they stream by, by concept (see conceptOf). */
export function createRecordTally(top = 20): { add(record: ExtractionRecord): void; result(): RecordTally } {
  const diseases = new Map<string, { concept: Concept; notes: number }>();
  const treatments = new Map<string, { concept: Concept; notes: number }>();
  const pairs = new Map<string, { disease: Concept; treatment: Concept; notes: number }>();
  const versions = new Set<string>();
  let records = 0;
  let diseaseMentions = 0;
  let treatmentMentions = 0;
  const countOncePerNote = (counts: Map<string, { concept: Concept; notes: number }>, concepts: readonly Concept[]): void => {
    const seen = new Set<string>();
    for (const concept of concepts) {
      if (seen.has(concept.key)) continue;
      seen.add(concept.key);
      const entry = counts.get(concept.key);
      if (entry) entry.notes++;
      else counts.set(concept.key, { concept, notes: 1 });
    }
  };
  const ranked = <T extends { notes: number }>(counts: Map<string, T>): T[] => [...counts].sort((a, b) => b[1].notes - a[1].notes || (a[0] < b[0] ? -1 : 1)).slice(0, top).map(([, v]) => v);
  const described = (c: Concept) => ({ ...(c.code ? { code: c.code, display: c.display as string } : {}), ...(c.generic ? { generic: c.generic } : {}) });
  return {
    add(record) {
      records++;
      versions.add(record.modelVersion);
      diseaseMentions += record.diseases.length;
      treatmentMentions += record.treatments.length;
      countOncePerNote(diseases, record.diseases.map((e) => conceptOf(e, e.text)));
      countOncePerNote(treatments, record.treatments.map((e) => conceptOf(e, e.text)));
      const byName = new Map<string, Entity>();
      for (const e of record.entities) if (!byName.has(`${e.type}\u0000${e.text.toLowerCase()}`)) byName.set(`${e.type}\u0000${e.text.toLowerCase()}`, e);
      const seen = new Set<string>();
      for (const pair of record.pairs) {
        const disease = conceptOf(byName.get(`disease\u0000${pair.disease.toLowerCase()}`), pair.disease);
        const treatment = conceptOf(byName.get(`treatment\u0000${pair.treatment.toLowerCase()}`), pair.treatment);
        const key = `${disease.key}\u0000${treatment.key}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const entry = pairs.get(key);
        if (entry) entry.notes++;
        else pairs.set(key, { disease, treatment, notes: 1 });
      }
    },
    result() {
      return {
        modelVersions: [...versions].sort(),
        entities: { disease: diseaseMentions, treatment: treatmentMentions, perNote: records === 0 ? 0 : Number(((diseaseMentions + treatmentMentions) / records).toFixed(3)) },
        topDiseases: ranked(diseases).map(({ concept, notes }) => ({ text: concept.text, ...described(concept), notes })),
        topTreatments: ranked(treatments).map(({ concept, notes }) => ({ text: concept.text, ...described(concept), notes })),
        topPairs: ranked(pairs).map(({ disease, treatment, notes }) => ({
          disease: disease.text,
          treatment: treatment.text,
          ...(disease.code ? { code: disease.code, display: disease.display as string } : {}),
          ...(treatment.generic ? { generic: treatment.generic } : {}),
          notes,
        })),
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
${table(['disease', 'ICD-10-CM', 'notes'], report.topDiseases.map((d) => [d.display ?? d.text, d.code ?? '', d.notes]))}
<h2>Top treatments</h2>
${table(['treatment', 'ingredients', 'notes'], report.topTreatments.map((t) => [t.text, t.generic ?? '', t.notes]))}
<h2>Top disease → treatment pairs</h2>
${table(['disease', 'ICD-10-CM', 'treatment', 'notes'], report.topPairs.map((p) => [p.display ?? p.disease, p.code ?? '', p.generic ?? p.treatment, p.notes]))}
<h2>Drift against the training data</h2>
${driftSection}
<h2>Failures (${report.failuresTotal})</h2>
${table(['note', 'where', 'reason'], report.failures.map((f) => [f.noteId ?? '', f.file ? `${f.file}:${f.line ?? ''}` : '', f.reason]))}
${report.textRetention ? `<h2>Note text retention</h2>\n<p>${report.textRetention.error ? `Record texts older than ${escapeHtml(report.textRetention.days)} days were not purged: ${escapeHtml(report.textRetention.error)}` : `${escapeHtml(report.textRetention.recordTextsPurged)} record texts older than ${escapeHtml(report.textRetention.days)} days purged`}</p>\n` : ''}<h2>Inbox files</h2>
${table(['file', 'sha256', 'notes'], report.inboxFiles.map((f) => [f.name, f.sha256.slice(0, 16), f.notes]))}
</body></html>
`;
}
