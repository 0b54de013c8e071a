// The review page: paste a note, correct the model's spans, accept. Note text only ever reaches the DOM
// through text nodes (textContent / createTextNode), never parsed as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { noteId: '', text: '', before: [], entities: [], selected: -1, shownAt: 0 };

for (const [id, key] of [['api-key', 'behealthy.apiKey'], ['reviewer', 'behealthy.reviewer']]) {
  $(id).value = localStorage.getItem(key) || '';
  $(id).addEventListener('change', () => localStorage.setItem(key, $(id).value.trim()));
}

function say(message, error = false) {
  $('status').textContent = message;
  $('status').className = error ? 'error' : '';
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const key = $('api-key').value.trim();
  if (key) headers['x-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.error ? `${json.error.code}: ${json.error.message}` : `HTTP ${response.status}`);
  return json;
}

/** The model's confidence below which a span is drawn dashed: where a reviewer should look first. */
const DOUBTFUL = 0.5;

const spanOf = (e) => ({ type: e.type, start: e.start, end: e.end });
/** A span as the page shows it: with what the model said of it (dropped once the reviewer changes its type). */
const shownSpan = (e) => ({ ...spanOf(e), ...(e.assertion ? { assertion: e.assertion } : {}), ...(typeof e.confidence === 'number' ? { confidence: e.confidence } : {}) });

function render() {
  const note = $('note');
  note.replaceChildren();
  let at = 0;
  state.entities.sort((a, b) => a.start - b.start);
  state.entities.forEach((e, i) => {
    if (e.start > at) note.append(document.createTextNode(state.text.slice(at, e.start)));
    const mark = document.createElement('mark');
    const doubt = typeof e.confidence === 'number' && e.confidence < DOUBTFUL ? ' doubt' : '';
    const negated = e.assertion === 'absent' || e.assertion === 'family' ? ' negated' : '';
    mark.className = `ent ${e.type}${doubt}${negated}${i === state.selected ? ' selected' : ''}`;
    mark.dataset.index = String(i);
    mark.dataset.type = e.type;
    // Shown beside the span by the style sheet (generated content is not part of the note's text).
    if (e.assertion && e.assertion !== 'present') mark.dataset.assertion = e.assertion;
    mark.title = [e.type, e.assertion, typeof e.confidence === 'number' ? `confidence ${e.confidence.toFixed(2)}` : null].filter(Boolean).join(', ');
    mark.textContent = state.text.slice(e.start, e.end);
    note.append(mark);
    at = e.end;
  });
  if (at < state.text.length) note.append(document.createTextNode(state.text.slice(at)));
}

/** The selection inside #note as text offsets (the container's text is exactly the note's). */
function selectedRange() {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const note = $('note');
  if (!note.contains(range.startContainer) || !note.contains(range.endContainer)) return null;
  const offset = (node, off) => {
    const r = document.createRange();
    r.setStart(note, 0);
    r.setEnd(node, off);
    return r.toString().length;
  };
  let start = offset(range.startContainer, range.startOffset);
  let end = offset(range.endContainer, range.endOffset);
  while (start < end && /\s/.test(state.text[start])) start++;
  while (end > start && /\s/.test(state.text[end - 1])) end--;
  return end > start ? { start, end } : null;
}

function setType(type) {
  const range = selectedRange();
  if (range) {
    if (state.entities.some((e) => e.start < range.end && range.start < e.end)) return say('the selection overlaps a span: remove it first', true);
    state.entities.push({ type, ...range });
    window.getSelection().removeAllRanges();
    state.selected = -1;
    render();
    return say(`added a ${type}`);
  }
  const entity = state.entities[state.selected];
  if (!entity) return say('select text to add a span, or click a span to change its type', true);
  if (entity.type !== type) {
    entity.type = type;
    delete entity.confidence;
  }
  render();
  say(`changed to ${type}`);
}

function removeSelected() {
  if (state.selected < 0) return say('click a span to remove it', true);
  state.entities.splice(state.selected, 1);
  state.selected = -1;
  render();
  say('span removed');
}

/** Counts Extract presses: only the latest one's answer is shown (an earlier one may answer last). */
let extractions = 0;

async function extract() {
  const text = $('note-text').value;
  if (!text.trim()) return say('paste a note first', true);
  const mine = ++extractions;
  try {
    const noteId = $('note-id').value.trim() || `review-${Date.now()}`;
    const record = await api('POST', '/v1/extract', { text, noteId });
    if (mine !== extractions) return;
    state.noteId = noteId;
    state.text = text;
    state.before = record.entities.map(spanOf);
    state.entities = record.entities.map(shownSpan);
    state.selected = -1;
    state.shownAt = performance.now();
    $('review').hidden = false;
    render();
    say(`${record.diseases.length} diseases, ${record.treatments.length} treatments (model ${record.modelVersion})`);
  } catch (error) {
    say(error.message, true);
  }
}

async function accept() {
  if (!state.text) return say('nothing to accept', true);
  const reviewer = $('reviewer').value.trim();
  if (!reviewer) return say('enter your name as reviewer', true);
  localStorage.setItem('behealthy.reviewer', reviewer);
  const key = (e) => `${e.type}:${e.start}:${e.end}`;
  const before = new Set(state.before.map(key));
  const unchanged = before.size === state.entities.length && state.entities.every((e) => before.has(key(e)));
  try {
    const result = await api('POST', '/v1/reviews', {
      noteId: state.noteId, text: state.text, entities: state.entities.map(spanOf), before: state.before, reviewer,
      seconds: Math.round((performance.now() - state.shownAt) / 100) / 10, acceptedWithoutChange: unchanged,
    });
    say(`accepted ${result.noteId} (${result.changed ? 'corrected' : 'no change'}); press n for the next note`);
    state.text = '';
    $('review').hidden = true;
    await loadKpis();
  } catch (error) {
    say(error.message, true);
  }
}

// Stored records skipped in this session (opened, then left without accepting): not offered again until reload.
const skipped = new Set();

function show(noteId, text, entities, message) {
  state.noteId = noteId;
  state.text = text;
  state.before = entities.map(spanOf);
  state.entities = entities.map(shownSpan);
  state.selected = -1;
  state.shownAt = performance.now();
  $('note-id').value = noteId;
  $('note-text').value = text;
  $('review').hidden = false;
  render();
  say(message);
}

async function openStored() {
  if (state.text) skipped.add(state.noteId);
  const query = new URLSearchParams({ limit: '100' });
  const job = $('queue-job').value.trim();
  const since = $('queue-since').value;
  if (job) query.set('jobId', job);
  if (since) query.set('since', `${since}T00:00:00Z`);
  // The reviewer may start pasting a note while the queue loads: what they typed then is kept, and so is
  // the field they moved to (clearing the form would move the cursor under their typing).
  const typed = () => `${$('note-id').value}\u0000${$('note-text').value}`;
  const typedBefore = typed();
  const focusBefore = document.activeElement;
  try {
    const { records } = await api('GET', `/v1/reviews/queue?${query}`);
    if (typed() !== typedBefore || document.activeElement !== focusBefore) return;
    const item = records.find((r) => !skipped.has(r.noteId));
    if (!item) {
      next();
      return say('no stored record left to review with these filters: paste a note');
    }
    show(item.noteId, item.text, item.record.entities, `stored record ${item.noteId} (job ${item.jobId}, model ${item.record.modelVersion})`);
  } catch (error) {
    say(error.message, true);
  }
}

function next() {
  state.text = '';
  state.entities = [];
  $('review').hidden = true;
  $('note-id').value = '';
  $('note-text').value = '';
  $('note-text').focus();
  say('');
}

const percent = (v) => (v === null ? '—' : `${(100 * v).toFixed(1)}%`);

async function loadKpis() {
  try {
    const k = await api('GET', '/v1/kpis');
    const rows = [['disease', k.perType.disease], ['treatment', k.perType.treatment], ['all', k.micro]].map(([name, s]) => {
      const tr = document.createElement('tr');
      for (const cell of [name, percent(s.precision), percent(s.recall), `${s.truePositives} of ${s.predicted} / ${s.reviewed}`]) {
        const td = document.createElement('td');
        td.textContent = cell;
        tr.append(td);
      }
      return tr;
    });
    $('kpi-rows').replaceChildren(...rows);
    const seconds = (v) => (v === null ? '—' : `${v.toFixed(1)} s`);
    $('kpi-summary').textContent = `${k.reviews} reviews · accepted without change ${percent(k.acceptedWithoutChange)} · review time mean ${seconds(k.reviewSeconds.mean)}, median ${seconds(k.reviewSeconds.median)}`;
  } catch (error) {
    $('kpi-summary').textContent = `KPIs unavailable: ${error.message}`;
  }
}

$('note').addEventListener('click', (event) => {
  const mark = event.target.closest('mark.ent');
  if (!mark || !window.getSelection().isCollapsed) return;
  state.selected = Number(mark.dataset.index);
  render();
});
$('extract').addEventListener('click', extract);
$('as-disease').addEventListener('click', () => setType('disease'));
$('as-treatment').addEventListener('click', () => setType('treatment'));
$('remove').addEventListener('click', removeSelected);
$('accept').addEventListener('click', accept);
$('next').addEventListener('click', next);
$('open-stored').addEventListener('click', openStored);
$('refresh-kpis').addEventListener('click', loadKpis);
$('note-text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) extract();
});
document.addEventListener('keydown', (event) => {
  if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = { a: accept, n: openStored, p: next, d: () => setType('disease'), t: () => setType('treatment'), x: removeSelected, Delete: removeSelected, Backspace: removeSelected };
  const action = actions[event.key];
  if (!action || (state.text === '' && event.key !== 'n' && event.key !== 'p')) return;
  event.preventDefault();
  action();
});
loadKpis();
