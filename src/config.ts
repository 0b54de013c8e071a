import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NerError } from './errors.js';

/**
 * The one place that reads process.env. Every variable is parsed and validated up front; a bad
 * configuration fails once, listing every bad variable, instead of one at a time at first use.
 */

/** The repository root (two levels up from src/config.ts or dist/config.js). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export interface Config {
  /** Annotated corpus directory (BeHealthy format). */
  corpusDir: string;
  /** Model versions and the production pointer. */
  modelDir: string;
  /** Open vocabularies used to build gazetteers at training time. */
  lexiconDir: string;
  /** Unlabelled clinical notes (MTSamples CSV) for benchmarks. */
  notesFile: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly Config['logLevel'][] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const path = (name: string, fallback: string): string => {
    const value = env[name];
    if (value !== undefined && value.trim() === '') problems.push(`${name}: must be a path, got an empty string`);
    return resolve(PROJECT_ROOT, value && value.trim() !== '' ? value : fallback);
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${name}: must be one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  };

  const config: Config = {
    corpusDir: path('CORPUS_DIR', '../shared/corpus/behealthy'),
    modelDir: path('MODEL_DIR', 'models'),
    lexiconDir: path('LEXICON_DIR', '../shared/lexicons'),
    notesFile: path('NOTES_FILE', '../shared/notes/mtsamples.csv'),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  if (problems.length > 0) {
    throw new NerError('NER_ERR_CONFIG_INVALID', `invalid environment:\n  ${problems.join('\n  ')}`);
  }
  return config;
}
