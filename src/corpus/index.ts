export {
  formatBeHealthy,
  parseBeHealthy,
  readBeHealthySplit,
  type BeHealthyNames,
  type BeHealthySplit,
  type CorpusFileHash,
} from './behealthy-format.js';
export {
  DEFAULT_CONLL_TYPE_MAP,
  formatConll,
  parseConll,
  readConll,
  type ConllCorpus,
  type ConllTypeMap,
  type EntityLabel,
} from './conll-format.js';
export {
  parseAnnotationsJsonl,
  readAnnotationsJsonl,
  type AnnotatedNote,
  type NoteEntity,
} from './jsonl-annotations.js';
export { formatMarkedNotes, parseMarkedNotes, readMarkedNotes } from './marked-notes.js';
