import { NerError, isNerError } from '../../errors.js';

/**
 * Reader for the model file CRFsuite's 1st-order CRF (crf1d) writes (crf1d_model.c, crf1dmw_*), so that
 * tagging can run in JavaScript (viterbi.ts) instead of through the native binding.
 *
 * File layout, all integers little-endian uint32:
 *   header (48 bytes): "lCRF", file size, "FOMC", version 100, num_features (always 0: the writer never
 *     sets it), num_labels, num_attrs, then offsets of FEAT, label CQDB, attribute CQDB, LFRF, AFRF.
 *   FEAT: "FEAT", chunk size, count, then count × {type, src, dst, float64 weight}.
 *   CQDB (cqdb.c): string <-> id database. Strings are read through its backward array (id -> record);
 *     its hash tables are only checked, so that crfsuite's own string -> id lookup agrees with ours.
 *   LFRF / AFRF: "LFRF"/"AFRF", chunk size, count, count absolute file offsets, each to {n, n feature ids}:
 *     the transition features leaving each label / the state features of each attribute.
 *
 * Every offset and count is checked against the buffer before it is used or allocated from, so any
 * malformed buffer ends in a NerError NER_ERR_MODEL_FORMAT (the binding segfaults on such files).
 */

/** Weights of a crf1d model, indexed the way the tagger needs them. */
export interface CrfWeights {
  /** L: label id -> label string. */
  readonly labels: readonly string[];
  /** Attribute string (as crfsuite stores it: UTF-8, cut at the first NUL) -> attribute id. */
  readonly attributeIds: ReadonlyMap<string, number>;
  readonly numAttributes: number;
  /**
   * State features as CSR: attribute a's features are stateLabel[k] / stateWeight[k] for
   * stateStart[a] <= k < stateStart[a + 1], in the model's reference order (the order crfsuite adds them).
   */
  readonly stateStart: Uint32Array;
  readonly stateLabel: Uint16Array;
  readonly stateWeight: Float64Array;
  /**
   * The same state weights dense, A × L: stateDense[a * L + l], 0 where attribute a has no feature for
   * label l. Adding a whole row is exact (x + 0 === x) and faster than walking the CSR. A model file's own is
   * double precision; a domain's folded table (domains.ts) single.
   */
  readonly stateDense: Float64Array | Float32Array;
  /** L × L transition weights, transition[from * L + to]; 0 where the model has no feature. */
  readonly transition: Float64Array;
}

const HEADER_SIZE = 48;
const CHUNK_HEADER_SIZE = 12;
const FEATURE_SIZE = 20;
const VERSION = 100;
const FEATURE_STATE = 0;
const FEATURE_TRANSITION = 1;

const CQDB_HEADER_SIZE = 24;
const CQDB_NUM_TABLES = 256;
const CQDB_DATA_OFFSET = CQDB_HEADER_SIZE + 8 * CQDB_NUM_TABLES;
const CQDB_BYTEORDER = 0x62445371;

/**
 * The transition matrix is L² and the dense state weights A × L, so L is capped; NER models have a
 * handful of labels (D/T/O, or BIO tags).
 */
export const MAX_LABELS = 256;
/**
 * A trained CRF weight is far below this. The bound keeps every sum of weights finite, where Viterbi is
 * exact; with ±Infinity/NaN scores crfsuite's own Viterbi reads a stale back-pointer.
 */
export const MAX_ABS_WEIGHT = 1e15;

function fail(message: string): never {
  throw new NerError('NER_ERR_MODEL_FORMAT', `CRFsuite model: ${message}`);
}

/** Bounds-checked little-endian reads over the whole model buffer. */
class ModelBytes {
  readonly bytes: Uint8Array;
  readonly length: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.length = bytes.byteLength;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Fails unless [offset, offset + size) lies inside the buffer. */
  require(offset: number, size: number, what: string): void {
    if (offset < 0 || size < 0 || offset + size > this.length) {
      fail(`${what} at offset ${offset} (${size} bytes) runs past the end of the ${this.length}-byte buffer`);
    }
  }

  u32(offset: number, what: string): number {
    this.require(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  f64(offset: number, what: string): number {
    this.require(offset, 8, what);
    return this.view.getFloat64(offset, true);
  }

  tag(offset: number, what: string): string {
    this.require(offset, 4, what);
    const b = this.bytes;
    return String.fromCharCode(b[offset] ?? 0, b[offset + 1] ?? 0, b[offset + 2] ?? 0, b[offset + 3] ?? 0);
  }
}

interface Header {
  numLabels: number;
  numAttrs: number;
  offFeatures: number;
  offLabels: number;
  offAttrs: number;
  offLabelRefs: number;
  offAttrRefs: number;
}

function readHeader(m: ModelBytes): Header {
  if (m.length < HEADER_SIZE) fail(`${m.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  const magic = m.tag(0, 'magic');
  if (magic !== 'lCRF') fail(`bad magic ${JSON.stringify(magic)} (expected "lCRF")`);
  const size = m.u32(4, 'file size');
  if (size !== m.length) fail(`header gives the file size as ${size} bytes but the buffer has ${m.length} (truncated or padded)`);
  const type = m.tag(8, 'model type');
  if (type !== 'FOMC') fail(`model type ${JSON.stringify(type)} is not "FOMC" (1st-order CRF)`);
  const version = m.u32(12, 'version');
  if (version !== VERSION) fail(`version ${version} is not ${VERSION}`);
  const header: Header = {
    numLabels: m.u32(20, 'num_labels'),
    numAttrs: m.u32(24, 'num_attrs'),
    offFeatures: m.u32(28, 'off_features'),
    offLabels: m.u32(32, 'off_labels'),
    offAttrs: m.u32(36, 'off_attrs'),
    offLabelRefs: m.u32(40, 'off_labelrefs'),
    offAttrRefs: m.u32(44, 'off_attrrefs'),
  };
  if (header.numLabels === 0) fail('the model has no labels');
  if (header.numLabels > MAX_LABELS) fail(`num_labels ${header.numLabels} exceeds the supported maximum ${MAX_LABELS}`);
  return header;
}

/**
 * crf1de_save_model writes, right after the header: FEAT, label CQDB, attribute CQDB, then LFRF and AFRF
 * each aligned to 4 bytes, and nothing after. Requiring exactly that layout catches a corrupted offset
 * or chunk size that would otherwise still point at plausible bytes.
 */
function checkLayout(m: ModelBytes, h: Header): void {
  const chunks: [string, number, boolean][] = [
    ['FEAT chunk', h.offFeatures, false],
    ['label CQDB', h.offLabels, false],
    ['attribute CQDB', h.offAttrs, false],
    ['LFRF chunk', h.offLabelRefs, true],
    ['AFRF chunk', h.offAttrRefs, true],
  ];
  let end = HEADER_SIZE;
  for (const [name, offset, aligned] of chunks) {
    const expected = aligned ? Math.ceil(end / 4) * 4 : end;
    if (offset !== expected) fail(`${name} starts at offset ${offset}, expected ${expected} (where the previous chunk ends)`);
    end = offset + m.u32(offset + 4, `${name} size`);
  }
  if (end !== m.length) fail(`the last chunk ends at offset ${end} but the file has ${m.length} bytes`);
}

/** Reads a chunk header {id, size, count} and checks the id and that the chunk lies inside the buffer. */
function readChunk(m: ModelBytes, offset: number, id: string): { size: number; count: number } {
  m.require(offset, CHUNK_HEADER_SIZE, `${id} chunk header`);
  const actual = m.tag(offset, `${id} chunk id`);
  if (actual !== id) fail(`chunk at offset ${offset} has id ${JSON.stringify(actual)}, expected "${id}"`);
  const size = m.u32(offset + 4, `${id} chunk size`);
  const count = m.u32(offset + 8, `${id} item count`);
  if (size < CHUNK_HEADER_SIZE) fail(`${id} chunk size ${size} is smaller than its header`);
  m.require(offset, size, `${id} chunk`);
  return { size, count };
}

interface Features {
  count: number;
  /** Byte offset of feature 0. */
  base: number;
}

function readFeatureChunk(m: ModelBytes, offset: number): Features {
  const { size, count } = readChunk(m, offset, 'FEAT');
  const expected = CHUNK_HEADER_SIZE + FEATURE_SIZE * count;
  if (size !== expected) fail(`FEAT chunk of ${count} features should be ${expected} bytes, header says ${size}`);
  return { count, base: offset + CHUNK_HEADER_SIZE };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Where one CQDB lies and its backward array (id -> record offset, relative to the CQDB start). */
interface Cqdb {
  what: string;
  base: number;
  size: number;
  bwdOffset: number;
}

/** The records of a CQDB by id: string, offset (relative to the CQDB) and lookup3 hash of the key. */
interface CqdbRecords {
  strings: string[];
  offsets: Uint32Array;
  hashes: Uint32Array;
}

/**
 * Reads every string of the CQDB at `base` (cqdb.c): ids 0 .. expected-1 through the backward array,
 * then checks the hash tables as cqdb_to_id walks them, so crfsuite maps each string to the same id we
 * do, and a string of no record to none.
 */
function readCqdbStrings(m: ModelBytes, base: number, expected: number, what: string): string[] {
  const db = readCqdbHeader(m, base, expected, what);
  const records = readCqdbRecords(m, db, expected);
  checkCqdbTables(m, db, records);
  return records.strings;
}

function readCqdbHeader(m: ModelBytes, base: number, expected: number, what: string): Cqdb {
  m.require(base, CQDB_DATA_OFFSET, `${what} CQDB header`);
  const chunkId = m.tag(base, `${what} CQDB id`);
  if (chunkId !== 'CQDB') fail(`${what} CQDB at offset ${base} has id ${JSON.stringify(chunkId)}, expected "CQDB"`);
  const size = m.u32(base + 4, `${what} CQDB size`);
  if (size < CQDB_DATA_OFFSET) fail(`${what} CQDB size ${size} is smaller than its ${CQDB_DATA_OFFSET}-byte header`);
  m.require(base, size, `${what} CQDB`);
  if (m.u32(base + 12, `${what} CQDB byte order`) !== CQDB_BYTEORDER) fail(`${what} CQDB has a bad byte-order mark`);
  const bwdSize = m.u32(base + 16, `${what} CQDB backward size`);
  const bwdOffset = m.u32(base + 20, `${what} CQDB backward offset`);
  if (bwdSize !== expected) fail(`${what} CQDB has ${bwdSize} backward links; the header says ${expected}`);
  // cqdb_writer_close writes the backward array last, and none when the CQDB is empty.
  const contentEnd = expected === 0 ? CQDB_DATA_OFFSET : bwdOffset + 4 * bwdSize;
  const bwdInData = expected === 0 ? bwdOffset === 0 : bwdOffset >= CQDB_DATA_OFFSET;
  if (!bwdInData || contentEnd !== size) {
    fail(`${what} CQDB backward array (offset ${bwdOffset}, ${bwdSize} entries) does not end the ${size}-byte CQDB`);
  }
  return { what, base, size, bwdOffset };
}

/** Each record is {uint32 id, uint32 ksize, key: ksize bytes = UTF-8 string + NUL} (cqdb_writer_put). */
function readCqdbRecords(m: ModelBytes, db: Cqdb, count: number): CqdbRecords {
  const records: CqdbRecords = { strings: new Array<string>(count), offsets: new Uint32Array(count), hashes: new Uint32Array(count) };
  let recordBytes = 0;
  for (let id = 0; id < count; id++) {
    const offset = m.u32(db.base + db.bwdOffset + 4 * id, 'CQDB backward link');
    if (offset < CQDB_DATA_OFFSET || offset + 8 > db.size) fail(`${db.what} ${id}: record offset ${offset} lies outside the CQDB`);
    const storedId = m.u32(db.base + offset, 'CQDB record id');
    if (storedId !== id) fail(`${db.what} ${id}: its record carries id ${storedId}`);
    const ksize = m.u32(db.base + offset + 4, 'CQDB key size');
    if (ksize === 0 || offset + 8 + ksize > db.size) fail(`${db.what} ${id}: key size ${ksize} runs past the CQDB`);
    // Records of a valid CQDB do not overlap; bounding their total keeps the work linear on a crafted one.
    recordBytes += 8 + ksize;
    if (recordBytes > db.size) fail(`${db.what} CQDB records add up to more bytes than the ${db.size}-byte CQDB holds`);
    const keyStart = db.base + offset + 8;
    records.strings[id] = decodeKey(m.bytes.subarray(keyStart, keyStart + ksize), id, db.what);
    records.offsets[id] = offset;
    records.hashes[id] = hashlittle(m.bytes, keyStart, keyStart + ksize);
  }
  return records;
}

function decodeKey(key: Uint8Array, id: number, what: string): string {
  if (key.indexOf(0) !== key.length - 1) fail(`${what} ${id}: string is not terminated by its only NUL byte`);
  try {
    return utf8.decode(key.subarray(0, key.length - 1));
  } catch {
    return fail(`${what} ${id}: string is not valid UTF-8`);
  }
}

/**
 * Checks the 256 hash tables against the records, as cqdb_writer_close lays them out, so that
 * cqdb_to_id finds every string's own id and no other: a record with hash h is filed exactly once, in
 * table h % 256, which has twice as many buckets as records.
 */
function checkCqdbTables(m: ModelBytes, db: Cqdb, records: CqdbRecords): void {
  const filed = new Uint8Array(records.offsets.length);
  for (let i = 0; i < CQDB_NUM_TABLES; i++) {
    const ref = db.base + CQDB_HEADER_SIZE + 8 * i;
    const offset = m.u32(ref, 'CQDB table offset');
    const n = m.u32(ref + 4, 'CQDB table size');
    if (offset === 0 && n === 0) continue;
    // The writer leaves a table without records as {0, 0}; any other empty table is a corrupted reference.
    if (n === 0 || offset < CQDB_DATA_OFFSET || offset + 8 * n > db.size) {
      fail(`${db.what} CQDB hash table ${i} (offset ${offset}, ${n} buckets) lies outside the CQDB`);
    }
    checkCqdbTable(m, db, i, db.base + offset, n, records, filed);
  }
  if (filed.includes(0)) fail(`${db.what} ${filed.indexOf(0)}: its record is in no hash table`);
}

/**
 * One table: each bucket is {hash, record offset} or empty (offset 0). cqdb_to_id probes linearly from
 * bucket (h >>> 8) % n until an empty bucket, so a record is found iff no empty bucket lies between its
 * home bucket and its own; `run` (non-empty buckets ending at k) checks that in linear time.
 */
function checkCqdbTable(m: ModelBytes, db: Cqdb, table: number, at: number, n: number, records: CqdbRecords, filed: Uint8Array): void {
  const ids = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const offset = m.u32(at + 8 * k + 4, 'CQDB bucket offset');
    const bucketHash = m.u32(at + 8 * k, 'CQDB bucket hash');
    if (offset === 0) {
      if (bucketHash !== 0) fail(`${db.what} CQDB table ${table}, bucket ${k}: an empty bucket with a hash`);
      continue;
    }
    const id = recordIdAt(m, db, records, offset);
    if (id < 0 || filed[id] !== 0) fail(`${db.what} CQDB table ${table}, bucket ${k}: offset ${offset} is not a record, or not its only bucket`);
    const hash = records.hashes[id] ?? 0;
    if (bucketHash !== hash || hash % CQDB_NUM_TABLES !== table) fail(`${db.what} ${id}: filed under a wrong hash or table`);
    filed[id] = 1;
    ids[k] = id;
  }
  const used = ids.reduce((count, id) => count + (id >= 0 ? 1 : 0), 0);
  if (2 * used !== n) fail(`${db.what} CQDB table ${table}: ${used} records in ${n} buckets (expected half full)`);
  const firstEmpty = ids.indexOf(-1);
  const run = new Int32Array(n);
  for (let step = 1; step <= n; step++) {
    const k = (firstEmpty + step) % n;
    const id = ids[k] ?? -1;
    run[k] = id < 0 ? 0 : (run[(k + n - 1) % n] ?? 0) + 1;
    const distance = (k - ((records.hashes[id] ?? 0) >>> 8) % n + n) % n;
    if (id >= 0 && (run[k] ?? 0) <= distance) fail(`${db.what} ${id}: an empty bucket hides it from hash lookup`);
  }
}

/** The id of the record at `offset` (relative to the CQDB), or -1 if no record starts there. */
function recordIdAt(m: ModelBytes, db: Cqdb, records: CqdbRecords, offset: number): number {
  if (offset + 4 > db.size) return -1;
  const id = m.u32(db.base + offset, 'CQDB record id');
  return records.offsets[id] === offset ? id : -1;
}

/** Bob Jenkins' lookup3 hashlittle(key, length, 0) (lookup3.c), the hash CQDB files its keys under. */
export function hashlittle(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let length = end - start;
  let a = (0xdeadbeef + length) | 0;
  let b = a;
  let c = a;
  let i = start;
  while (length > 12) {
    a = (a + wordAt(bytes, i, end)) | 0;
    b = (b + wordAt(bytes, i + 4, end)) | 0;
    c = (c + wordAt(bytes, i + 8, end)) | 0;
    a = (a - c) ^ rot(c, 4); c = (c + b) | 0;
    b = (b - a) ^ rot(a, 6); a = (a + c) | 0;
    c = (c - b) ^ rot(b, 8); b = (b + a) | 0;
    a = (a - c) ^ rot(c, 16); c = (c + b) | 0;
    b = (b - a) ^ rot(a, 19); a = (a + c) | 0;
    c = (c - b) ^ rot(b, 4); b = (b + a) | 0;
    length -= 12;
    i += 12;
  }
  if (length === 0) return c >>> 0;
  // The last 1..12 bytes are added as little-endian words; bytes past the key read as 0.
  a = (a + wordAt(bytes, i, end)) | 0;
  b = (b + wordAt(bytes, i + 4, end)) | 0;
  c = (c + wordAt(bytes, i + 8, end)) | 0;
  c = (c ^ b) - rot(b, 14);
  a = (a ^ c) - rot(c, 11);
  b = (b ^ a) - rot(a, 25);
  c = (c ^ b) - rot(b, 16);
  a = (a ^ c) - rot(c, 4);
  b = (b ^ a) - rot(a, 14);
  c = (c ^ b) - rot(b, 24);
  return c >>> 0;
}

/** The little-endian uint32 at i, bytes at or past `end` reading as 0. */
function wordAt(bytes: Uint8Array, i: number, end: number): number {
  if (i + 4 <= end) return (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
  let word = 0;
  for (let j = end - 1; j >= i; j--) word = (word << 8) | (bytes[j] as number);
  return word;
}

function rot(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Reads an LFRF/AFRF chunk of `count` items and, for the first `used` of them, the file offset of its
 * feature-id list. Returns [start, n] pairs (start = byte offset of the first id). The lists' total size
 * is bounded by the chunk size, so overlapping lists in a crafted file cannot blow up what we allocate.
 */
function readRefLists(m: ModelBytes, offset: number, id: string, count: number, used: number): Uint32Array {
  const chunk = readChunk(m, offset, id);
  const size = chunk.size;
  if (chunk.count !== count) fail(`${id} chunk lists ${chunk.count} items, expected ${count}`);
  const tableEnd = offset + CHUNK_HEADER_SIZE + 4 * count;
  const chunkEnd = offset + size;
  if (tableEnd > chunkEnd) fail(`${id} chunk offset table (${count} entries) runs past its ${size}-byte chunk`);
  const lists = new Uint32Array(2 * used);
  let total = 0;
  for (let i = 0; i < used; i++) {
    const listOffset = m.u32(offset + CHUNK_HEADER_SIZE + 4 * i, `${id} offset`);
    if (listOffset < tableEnd || listOffset + 4 > chunkEnd) fail(`${id} item ${i}: list offset ${listOffset} lies outside its chunk`);
    const n = m.u32(listOffset, `${id} list length`);
    if (listOffset + 4 + 4 * n > chunkEnd) fail(`${id} item ${i}: list of ${n} feature ids runs past its chunk`);
    total += 4 + 4 * n;
    if (total > size) fail(`${id} chunk: its lists add up to more bytes than the chunk holds (overlapping lists)`);
    lists[2 * i] = listOffset + 4;
    lists[2 * i + 1] = n;
  }
  return lists;
}

interface Feature {
  type: number;
  src: number;
  dst: number;
  weight: number;
}

/** Reads feature `fid`, checking it is a `type` feature from `src` to a label, used only once. */
function readFeature(m: ModelBytes, features: Features, fid: number, type: number, src: number, numLabels: number, seen: Uint8Array): Feature {
  if (fid >= features.count) fail(`feature id ${fid} is out of range (${features.count} features)`);
  if (seen[fid] !== 0) fail(`feature ${fid} is referenced more than once`);
  seen[fid] = 1;
  const at = features.base + FEATURE_SIZE * fid;
  const f: Feature = {
    type: m.u32(at, 'feature type'),
    src: m.u32(at + 4, 'feature source'),
    dst: m.u32(at + 8, 'feature destination'),
    weight: m.f64(at + 12, 'feature weight'),
  };
  const kind = type === FEATURE_STATE ? 'attribute' : 'label';
  if (f.type !== type) fail(`feature ${fid}: type ${f.type}, expected ${type} for a feature listed under ${kind} ${src}`);
  if (f.src !== src) fail(`feature ${fid}: source ${f.src} but it is listed under ${kind} ${src}`);
  if (f.dst >= numLabels) fail(`feature ${fid}: label id ${f.dst} is out of range (${numLabels} labels)`);
  if (!Number.isFinite(f.weight) || Math.abs(f.weight) > MAX_ABS_WEIGHT) fail(`feature ${fid}: weight ${f.weight} is not a finite weight within ±${MAX_ABS_WEIGHT}`);
  return f;
}

/**
 * Transition weights as crf1dt_transition_score (crf1d_tag.c) builds them: for each label i, the
 * features of LFRF list i set trans[i][dst]. crf1de_save_model stores L + 2 lists (the last two empty
 * offsets); only the first L are used.
 */
function readTransitions(m: ModelBytes, h: Header, features: Features, seen: Uint8Array): Float64Array {
  const L = h.numLabels;
  const lists = readRefLists(m, h.offLabelRefs, 'LFRF', L + 2, L);
  const transition = new Float64Array(L * L);
  const filled = new Uint8Array(L * L);
  for (let from = 0; from < L; from++) {
    const start = lists[2 * from] ?? 0;
    const n = lists[2 * from + 1] ?? 0;
    for (let r = 0; r < n; r++) {
      const f = readFeature(m, features, m.u32(start + 4 * r, 'feature id'), FEATURE_TRANSITION, from, L, seen);
      const cell = from * L + f.dst;
      if (filled[cell] !== 0) fail(`label ${from}: two transition features to label ${f.dst}`);
      filled[cell] = 1;
      transition[cell] = f.weight;
    }
  }
  return transition;
}

type StateWeights = Pick<CrfWeights, 'stateStart' | 'stateLabel' | 'stateWeight'>;

/**
 * State features per attribute, in the order of their AFRF list (the order crf1dt_state_score adds
 * them). Every attribute of a saved model has at least one feature (crf1de_save_model keeps only those),
 * which also bounds the A × L dense array by the number of features in the file.
 */
function readStateFeatures(m: ModelBytes, h: Header, features: Features, seen: Uint8Array): StateWeights {
  const A = h.numAttrs;
  const L = h.numLabels;
  const lists = readRefLists(m, h.offAttrRefs, 'AFRF', A, A);
  let total = 0;
  for (let a = 0; a < A; a++) {
    const n = lists[2 * a + 1] ?? 0;
    if (n === 0) fail(`attribute ${a} has no state feature`);
    total += n;
  }
  if (total > features.count) fail(`AFRF lists ${total} state features but the model has ${features.count} features`);
  const state = {
    stateStart: new Uint32Array(A + 1),
    stateLabel: new Uint16Array(total),
    stateWeight: new Float64Array(total),
  };
  // Per label, the last attribute (+ 1) with a feature for it: a second one for the same label is found without a dense row.
  const lastAttribute = new Uint32Array(L);
  let k = 0;
  for (let a = 0; a < A; a++) {
    state.stateStart[a] = k;
    const start = lists[2 * a] ?? 0;
    const n = lists[2 * a + 1] ?? 0;
    for (let r = 0; r < n; r++, k++) {
      const f = readFeature(m, features, m.u32(start + 4 * r, 'feature id'), FEATURE_STATE, a, L, seen);
      // Two features for one (attribute, label) would be summed in list order; the dense row cannot say that.
      if (lastAttribute[f.dst] === a + 1) fail(`attribute ${a}: two state features for label ${f.dst}`);
      lastAttribute[f.dst] = a + 1;
      state.stateLabel[k] = f.dst;
      state.stateWeight[k] = f.weight;
    }
  }
  state.stateStart[A] = k;
  return state;
}

/** The CSR state weights as a dense A × L array (see CrfWeights.stateDense). */
function denseStateWeights(state: StateWeights, A: number, L: number): Float64Array {
  const dense = new Float64Array(A * L);
  for (let a = 0; a < A; a++) {
    for (let k = state.stateStart[a] as number; k < (state.stateStart[a + 1] as number); k++) dense[a * L + (state.stateLabel[k] as number)] = state.stateWeight[k] as number;
  }
  return dense;
}

function buildAttributeIds(attributes: string[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (let a = 0; a < attributes.length; a++) {
    const name = attributes[a] ?? '';
    ids.set(name, a);
    if (ids.size !== a + 1) fail(`attribute ${JSON.stringify(name)} appears twice`);
  }
  return ids;
}

function parse(bytes: Uint8Array): CrfWeights {
  if (!(bytes instanceof Uint8Array)) fail('input is not a Uint8Array');
  const m = new ModelBytes(bytes);
  const h = readHeader(m);
  checkLayout(m, h);
  const features = readFeatureChunk(m, h.offFeatures);
  const labels = readCqdbStrings(m, h.offLabels, h.numLabels, 'label');
  if (new Set(labels).size !== labels.length) fail('two labels have the same name');
  const attributeIds = buildAttributeIds(readCqdbStrings(m, h.offAttrs, h.numAttrs, 'attribute'));
  const seen = new Uint8Array(features.count);
  const transition = readTransitions(m, h, features, seen);
  const state = readStateFeatures(m, h, features, seen);
  const unused = seen.indexOf(0);
  if (unused >= 0) fail(`feature ${unused} is listed under no label or attribute`);
  // The dense array is built on first use: a model with domains is folded from the CSR form (domains.ts) and
  // never reads its own, which would be the largest array of a load (11 MB for the shipped model).
  let dense: Float64Array | undefined;
  return {
    labels,
    attributeIds,
    numAttributes: h.numAttrs,
    ...state,
    get stateDense() {
      return (dense ??= denseStateWeights(state, h.numAttrs, h.numLabels));
    },
    transition,
  };
}

/**
 * Parses a CRFsuite crf1d model file (the bytes `Trainer.train()` writes). Pure: takes the bytes, not a
 * path. Throws NerError NER_ERR_MODEL_FORMAT, and nothing else, for any buffer it cannot fully validate.
 */
export function parseCrfsuiteModel(bytes: Uint8Array): CrfWeights {
  try {
    return parse(bytes);
  } catch (error) {
    if (isNerError(error)) throw error;
    // Every read is bounds-checked first, so this is only a safety net for the "only NerError" contract.
    const reason = error instanceof Error ? error.message : String(error);
    throw new NerError('NER_ERR_MODEL_FORMAT', `CRFsuite model: cannot be read (${reason})`, { cause: error });
  }
}

/**
 * A copy of a CRFsuite model with `delta[label]` added to the state weight of `attribute` for each label
 * named. With the attribute every token carries ("bias"), this shifts every label's score by a constant: a
 * decision threshold (e.g. a recall bias for entity labels) that lives in the model file itself, so
 * CRFsuite's own tagger and ours still agree on it. Only existing features can be changed: CRFsuite does not
 * write zero-weight features (L1 can zero a rare label's), so such labels are left as they are and returned.
 */
export function withStateWeightOffsets(
  bytes: Uint8Array,
  attribute: string,
  delta: ReadonlyMap<string, number>,
): { bytes: Uint8Array; unchanged: string[] } {
  const weights = parseCrfsuiteModel(bytes);
  const attributeId = weights.attributeIds.get(attribute);
  if (attributeId === undefined) fail(`no attribute "${attribute}" to adjust`);
  const labelIds = new Map(weights.labels.map((label, id) => [id, label]));
  const copy = Uint8Array.from(bytes);
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  const featuresAt = view.getUint32(28, true);
  const count = view.getUint32(featuresAt + 8, true);
  const pending = new Set([...delta.keys()].filter((label) => delta.get(label) !== 0));
  for (let fid = 0; fid < count; fid++) {
    const at = featuresAt + CHUNK_HEADER_SIZE + FEATURE_SIZE * fid;
    if (view.getUint32(at, true) !== FEATURE_STATE || view.getUint32(at + 4, true) !== attributeId) continue;
    const label = labelIds.get(view.getUint32(at + 8, true)) as string;
    const change = delta.get(label);
    if (!change) continue;
    view.setFloat64(at + 12, view.getFloat64(at + 12, true) + change, true);
    pending.delete(label);
  }
  return { bytes: copy, unchanged: [...pending] };
}
