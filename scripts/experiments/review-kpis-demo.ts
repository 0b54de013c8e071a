/**
 * Review KPIs of the shipped model on six notes written for this, reviewed through the API as a reviewer would
 * (the reviewer's entities annotated by hand below; the review time is set, not measured):
 *   DATABASE_SCHEMA=kpi_demo PORT=3918 WEB_CONCURRENCY=1 node dist/main-api.js &
 *   node --import tsx scripts/experiments/review-kpis-demo.ts http://127.0.0.1:3918
 */
const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const notes: { id: string; text: string; gold: [string, 'disease' | 'treatment'][] }[] = [
  { id: 'kpi-1', text: 'Pt c/o fever x3d. Dx: typhoid fever. Rx: azithromycin 500mg OD x5d.', gold: [['typhoid fever', 'disease'], ['azithromycin', 'treatment']] },
  { id: 'kpi-2', text: 'Known case of type 2 diabetes mellitus on metformin 500mg BD.', gold: [['type 2 diabetes mellitus', 'disease'], ['metformin', 'treatment']] },
  { id: 'kpi-3', text: 'Patients with chronic obstructive pulmonary disease were treated with tiotropium.', gold: [['chronic obstructive pulmonary disease', 'disease'], ['tiotropium', 'treatment']] },
  { id: 'kpi-4', text: 'Radiotherapy improved survival in patients with early breast cancer.', gold: [['Radiotherapy', 'treatment'], ['early breast cancer', 'disease']] },
  { id: 'kpi-5', text: 'Hypertension controlled on amlodipine 5mg OD; continue.', gold: [['Hypertension', 'disease'], ['amlodipine', 'treatment']] },
  { id: 'kpi-6', text: 'Acute otitis media in a 4-year-old, started on amoxicillin.', gold: [['Acute otitis media', 'disease'], ['amoxicillin', 'treatment']] },
];
const post = (path: string, body: unknown): Promise<{ entities: { type: string; text: string; start: number; end: number }[] }> => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ entities: { type: string; text: string; start: number; end: number }[] }>);
for (const note of notes) {
  const record = await post('/v1/extract', { text: note.text, noteId: note.id });
  const before = record.entities.map(({ type, start, end }) => ({ type, start, end }));
  const after = note.gold.map(([span, type]) => ({ type, start: note.text.indexOf(span), end: note.text.indexOf(span) + span.length }));
  const same = before.length === after.length && before.every((b) => after.some((a) => a.type === b.type && a.start === b.start && a.end === b.end));
  const found = record.entities.map((e) => `${e.type[0]}:${e.text}`).join(', ');
  console.log(JSON.stringify({ note: note.id, model: found, unchanged: same }));
  await post('/v1/reviews', { noteId: note.id, text: note.text, entities: after, before, reviewer: 'lead', seconds: 20, acceptedWithoutChange: same });
}
console.log(JSON.stringify(await fetch(base + '/v1/kpis').then((r) => r.json())));
