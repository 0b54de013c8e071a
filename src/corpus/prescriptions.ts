import { readDataTable } from './data-table.js';
import type { GoldDosage, GoldEntity, PrescriptionNote } from '../core/evaluation/prescription-evaluation.js';
import { ASSERTIONS, ENTITY_KINDS, type Assertion, type EntityKind } from '../core/text/types.js';
import { NerError } from '../errors.js';
import { parseAnnotationsJsonl } from './jsonl-annotations.js';

/**
 * The prescriptions evaluation set (corpus/prescriptions/README.md): JSONL, one annotated note a line, and the
 * marked source it is built from (scripts/build-prescriptions.ts). Every problem is NER_ERR_INPUT_INVALID
 * naming file:line.
 */

const KINDS: readonly EntityKind[] = [...ENTITY_KINDS.disease, ...ENTITY_KINDS.treatment];
const PERIOD_UNITS = ['min', 'h', 'd', 'wk', 'mo'] as const;

function invalid(message: string, file: string, line: number): never {
  throw new NerError('NER_ERR_INPUT_INVALID', message, { file, line });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isQuantity = (v: unknown): boolean => isObject(v) && typeof v.value === 'number' && v.value > 0 && typeof v.unit === 'string';

function checkDosage(d: unknown, where: string, file: string, line: number): GoldDosage {
  if (!isObject(d)) return invalid(`${where}: dosage must be an object`, file, line);
  if (d.doseQuantity !== undefined && !isQuantity(d.doseQuantity)) invalid(`${where}: doseQuantity must be {value > 0, unit}`, file, line);
  if (d.boundsDuration !== undefined && !isQuantity(d.boundsDuration)) invalid(`${where}: boundsDuration must be {value > 0, unit}`, file, line);
  if (d.timing !== undefined) {
    const t = d.timing;
    if (!isObject(t) || typeof t.frequency !== 'number' || typeof t.period !== 'number' || !(PERIOD_UNITS as readonly unknown[]).includes(t.periodUnit)) {
      invalid(`${where}: timing must be {frequency, period, periodUnit: ${PERIOD_UNITS.join('|')}}`, file, line);
    }
  }
  if (d.asNeeded !== undefined && d.asNeeded !== true) invalid(`${where}: asNeeded is true or absent`, file, line);
  for (const name of ['route', 'form'] as const) if (d[name] !== undefined && typeof d[name] !== 'string') invalid(`${where}: ${name} must be a string`, file, line);
  return d as GoldDosage;
}

/** Parses the JSONL set; the base fields are checked as any JSONL annotations are (corpus/README.md section 3). */
export function parsePrescriptionsJsonl(text: string, file: string): PrescriptionNote[] {
  const base = parseAnnotationsJsonl(text, file);
  const notes: PrescriptionNote[] = [];
  let b = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === '') return;
    const line = index + 1;
    const note = base[b++];
    const json = JSON.parse(raw) as Record<string, unknown>;
    if (!note) return;
    if (json.split !== 'dev' && json.split !== 'test') invalid('split must be "dev" or "test"', file, line);
    const rawEntities = json.entities as Record<string, unknown>[];
    const entities: GoldEntity[] = note.entities.map((e, i) => {
      const r = rawEntities.find((x) => x.start === e.start && x.end === e.end) ?? (rawEntities[i] as Record<string, unknown>);
      const where = `entity ${note.text.slice(e.start, e.end)}`;
      if (!KINDS.includes(r.kind as EntityKind) || !ENTITY_KINDS[e.type].includes(r.kind as EntityKind)) invalid(`${where}: kind must be one of ${ENTITY_KINDS[e.type].join(', ')}`, file, line);
      if (r.icd10cm !== undefined && (typeof r.icd10cm !== 'string' || !/^[A-Z]\d[0-9A-Z]$/.test(r.icd10cm))) invalid(`${where}: icd10cm must be a category such as I10 or E11`, file, line);
      if (r.generic !== undefined && (!Array.isArray(r.generic) || r.generic.some((g) => typeof g !== 'string' || g === ''))) invalid(`${where}: generic must be a list of names`, file, line);
      if (r.brand !== undefined && r.brand !== true) invalid(`${where}: brand is true or absent`, file, line);
      return {
        type: e.type,
        kind: r.kind as EntityKind,
        start: e.start,
        end: e.end,
        assertion: (e.assertion ?? 'present') as Assertion,
        ...(typeof r.icd10cm === 'string' ? { icd10cm: r.icd10cm } : {}),
        ...(Array.isArray(r.generic) ? { generic: r.generic as string[] } : {}),
        ...(r.brand === true ? { brand: true } : {}),
        ...(r.dosage !== undefined ? { dosage: checkDosage(r.dosage, where, file, line) } : {}),
      };
    });
    const pairs = json.pairs;
    if (!Array.isArray(pairs) || pairs.some((p) => !isObject(p) || typeof p.disease !== 'string' || typeof p.treatment !== 'string')) {
      invalid('pairs must be a list of {disease, treatment}', file, line);
    }
    notes.push({ id: note.id, split: json.split, text: note.text, entities, pairs: pairs as PrescriptionNote['pairs'] });
  });
  return notes;
}

export async function readPrescriptions(path: string): Promise<PrescriptionNote[]> {
  const text = await readDataTable(path, 'prescriptions', 'NER_ERR_INPUT_INVALID');
  return parsePrescriptionsJsonl(text, path);
}

// ---------------------------------------------------------------------------------------------------
// The marked source: "## id" records, entities as [surface]{T rx brand g=a+b dose=650mg freq=2/d dur=5d prn
// route=oral form=tablet} or [surface]{D:absent dx icd=I10}, pairs as ">> disease | treatment" lines.

const KIND_CODES: Readonly<Record<string, EntityKind>> = { dx: 'diagnosis', sx: 'symptom', rx: 'drug', px: 'procedure' };
/** Units as the source writes them, to UCUM. */
const SOURCE_UNITS: Readonly<Record<string, string>> = {
  mg: 'mg', g: 'g', ug: 'ug', ml: 'mL', iu: '[iU]', U: 'U', '%': '%', puff: '{puff}', tab: '{tablet}', cap: '{capsule}', drop: '{drop}',
  sachet: '{sachet}', tsp: '[tsp_us]', spray: '{spray}', meq: 'meq',
};
const DURATION = /^(\d+(?:\.\d+)?)(d|wk|mo|h)$/;
const FREQUENCY = /^(\d+(?:\.\d+)?)\/(\d*)(min|h|d|wk|mo)$/;
const DOSE = /^(\d+(?:\.\d+)?)(.+)$/;

function parseAttributes(spec: string, file: string, line: number): Omit<GoldEntity, 'start' | 'end'> {
  const [head, ...rest] = spec.trim().split(/\s+/);
  const [letter, assertion] = (head ?? '').split(':');
  const type = letter === 'D' ? 'disease' : letter === 'T' ? 'treatment' : invalid(`entity type must be D or T, got "${letter}"`, file, line);
  if (assertion !== undefined && !ASSERTIONS.includes(assertion as Assertion)) invalid(`unknown assertion "${assertion}"`, file, line);
  let kind: EntityKind | undefined;
  const entity: Partial<GoldEntity> = {};
  const dosage: GoldDosage = {};
  for (const attribute of rest) {
    const [name, value = ''] = attribute.split('=');
    if (name && KIND_CODES[name]) kind = KIND_CODES[name];
    else if (name === 'brand') entity.brand = true;
    else if (name === 'icd') entity.icd10cm = value;
    else if (name === 'g') entity.generic = value.split('+').map((g) => g.replace(/_/g, ' '));
    else if (name === 'prn') dosage.asNeeded = true;
    else if (name === 'route') dosage.route = value.replace(/_/g, ' ');
    else if (name === 'form') dosage.form = value.replace(/_/g, ' ');
    else if (name === 'dose') {
      const m = DOSE.exec(value);
      const unit = m ? SOURCE_UNITS[m[2] as string] : undefined;
      if (!m || !unit) invalid(`dose "${value}": a number and one of ${Object.keys(SOURCE_UNITS).join(', ')}`, file, line);
      dosage.doseQuantity = { value: Number(m[1]), unit };
    } else if (name === 'dur') {
      const m = DURATION.exec(value) ?? invalid(`dur "${value}": a number and d, wk, mo or h`, file, line);
      dosage.boundsDuration = { value: Number(m[1]), unit: m[2] as string };
    } else if (name === 'freq') {
      const m = FREQUENCY.exec(value) ?? invalid(`freq "${value}": times/period such as 2/d, 1/6h, 1/wk`, file, line);
      dosage.timing = { frequency: Number(m[1]), period: m[2] ? Number(m[2]) : 1, periodUnit: m[3] as 'min' | 'h' | 'd' | 'wk' | 'mo' };
    } else invalid(`unknown attribute "${attribute}"`, file, line);
  }
  if (!kind || !ENTITY_KINDS[type].includes(kind)) invalid(`a ${type} needs its kind (${ENTITY_KINDS[type].map((k) => Object.keys(KIND_CODES).find((c) => KIND_CODES[c] === k)).join(' or ')})`, file, line);
  return { type, kind, assertion: (assertion ?? 'present') as Assertion, ...entity, ...(Object.keys(dosage).length > 0 ? { dosage } : {}) };
}

/** Parses the marked source; odd-numbered notes are the dev half, even-numbered the test half. */
export function parsePrescriptionsMarked(source: string, file: string): PrescriptionNote[] {
  const notes: PrescriptionNote[] = [];
  let current: { id: string; lines: { text: string; line: number }[]; pairs: PrescriptionNote['pairs'] } | undefined;
  const finish = (): void => {
    if (!current) return;
    while (current.lines.length > 0 && current.lines[current.lines.length - 1]?.text.trim() === '') current.lines.pop();
    let text = '';
    const entities: GoldEntity[] = [];
    current.lines.forEach(({ text: raw, line }, i) => {
      if (i > 0) text += '\n';
      const markup = /\[([^\]]+)\]\{([^}]+)\}/g;
      let last = 0;
      for (let m = markup.exec(raw); m !== null; m = markup.exec(raw)) {
        text += raw.slice(last, m.index);
        const start = text.length;
        text += m[1] as string;
        entities.push({ ...parseAttributes(m[2] as string, file, line), start, end: text.length });
        last = m.index + m[0].length;
      }
      text += raw.slice(last);
    });
    const number = Number(/(\d+)$/.exec(current.id)?.[1] ?? '0');
    notes.push({ id: current.id, split: number % 2 === 1 ? 'dev' : 'test', text, entities, pairs: current.pairs });
  };
  source.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.startsWith('## ')) {
      finish();
      current = { id: raw.slice(3).trim(), lines: [], pairs: [] };
    } else if (!current) {
      if (raw.trim() !== '' && !raw.startsWith('#')) invalid('text before the first "## id" record', file, line);
    } else if (raw.startsWith('>> ')) {
      const [disease, treatment] = raw.slice(3).split('|').map((s) => s.trim().toLowerCase());
      if (!disease || !treatment) invalid('a pair line is ">> disease | treatment"', file, line);
      current.pairs.push({ disease, treatment });
    } else if (raw.trim() !== '' || current.lines.length > 0) {
      current.lines.push({ text: raw, line });
    }
  });
  finish();
  return notes;
}

/** The JSONL line of a note (the format parsePrescriptionsJsonl reads). */
export function formatPrescriptionNote(note: PrescriptionNote): string {
  return JSON.stringify({
    id: note.id,
    split: note.split,
    text: note.text,
    entities: note.entities.map((e) => ({ ...e, text: note.text.slice(e.start, e.end) })),
    pairs: note.pairs,
  });
}
