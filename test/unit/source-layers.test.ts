import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The source tree's rooms and the direction of their imports: a room imports only rooms below it. In
 * src/core: text < tagger < clinical < evaluation < the files at core's top (extract.ts, crf-ner-model.ts),
 * and core imports nothing outside itself but errors.ts. Around it: core < corpus < registry < training <
 * store < monitoring < queue < ingest < http < cli. The files at src's top (config, errors, the extractor, the
 * process entry points) are the shared frame and may be imported from anywhere.
 */
const SRC = resolve(import.meta.dirname, '../../src');
const CORE_ROOMS = ['text', 'tagger', 'clinical', 'evaluation', '(top)'];
const SRC_ROOMS = ['core', 'corpus', 'registry', 'training', 'store', 'monitoring', 'queue', 'ingest', 'http', 'cli'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
}

/** The room of a path below `base`: its first folder, or '(top)' for a file directly in it. */
function roomOf(path: string, base: string): string {
  const parts = relative(base, path).split('/');
  return parts.length > 1 ? (parts[0] as string) : '(top)';
}

function upwardImports(base: string, order: readonly string[], files: readonly string[], outside: (target: string) => string | null): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const from = roomOf(file, base);
    for (const target of relativeImports(file)) {
      if (!target.startsWith(`${base}/`)) {
        const problem = outside(target);
        if (problem) problems.push(`${relative(SRC, file)} imports ${relative(SRC, target)}: ${problem}`);
        continue;
      }
      const to = roomOf(target, base);
      if (!order.includes(from) || !order.includes(to)) continue;
      if (order.indexOf(to) > order.indexOf(from)) problems.push(`${relative(SRC, file)} (${from}) imports ${relative(SRC, target)} (${to}), a room above it`);
    }
  }
  return problems;
}

describe('source layers', () => {
  it('core: text < tagger < clinical < evaluation < extract.ts, and nothing outside core but errors.ts', () => {
    const core = join(SRC, 'core');
    const problems = upwardImports(core, CORE_ROOMS, sourceFiles(core), (target) => (target === join(SRC, 'errors.ts') ? null : 'core imports only core and errors.ts'));
    expect(problems).toEqual([]);
  });

  it(`src: ${SRC_ROOMS.join(' < ')}`, () => {
    const files = sourceFiles(SRC).filter((file) => roomOf(file, SRC) !== '(top)');
    expect(upwardImports(SRC, SRC_ROOMS, files, () => null)).toEqual([]);
  });

  it('every room of src and of core is in the declared order (a new room must be placed)', () => {
    const rooms = (dir: string) => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(rooms(SRC).filter((room) => !SRC_ROOMS.includes(room) && room !== 'types')).toEqual([]);
    expect(rooms(join(SRC, 'core')).filter((room) => !CORE_ROOMS.includes(room))).toEqual([]);
  });
});
