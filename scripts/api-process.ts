import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config.js';
import { freePort } from './free-port.js';

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** Sends a signal and waits for the exit; resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The built API (node dist/main-api.js) in a process of its own on a free port, configured by `env` on top
 * of this process's environment; resolves once /health answers. (Killed, its cluster workers exit with it:
 * they leave when their channel to the primary closes.)
 */
export async function startApiProcess(env: Record<string, string> = {}, options: { stdio?: StdioOptions; nodeArgs?: string[] } = {}): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(PROJECT_ROOT, 'dist/main-api.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: options.stdio ?? ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode} before serving`);
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return { url, child, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop('SIGKILL');
  throw new Error('the API process did not serve /health within 60 s');
}

/** The processes serving requests: the cluster's workers (children of the process started), or that process alone (Linux /proc). */
export function servingPids(pid: number): number[] {
  const children = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid ? [Number(entry)] : [];
    } catch {
      return []; // exited meanwhile
    }
  });
  return children.length > 0 ? children : [pid];
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}
