import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../config.js';
import type { RunEnvironment } from './runs.js';

/** What a run records about the code that made it: the git commit and the versions that shape its figures. */

/** HEAD of the repository the code runs from; null outside a git checkout. */
export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * An installed package's version from its package.json: `<name>/package.json` when the package exports it,
 * else the package.json found walking up from its entry point (compromise exports no package.json).
 */
export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    try {
      let directory = dirname(require.resolve(name));
      for (let depth = 0; depth < 6; depth++) {
        try {
          const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
          if (manifest.name === name && manifest.version) return manifest.version;
        } catch {
          // no package.json at this level
        }
        directory = dirname(directory);
      }
    } catch {
      // not installed
    }
    return 'unknown';
  }
}

let cached: RunEnvironment | undefined;
export function runEnvironment(): RunEnvironment {
  cached ??= { node: process.version, crfsuite: packageVersion('crfsuite'), natural: packageVersion('natural'), compromise: packageVersion('compromise') };
  return cached;
}
