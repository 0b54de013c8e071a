import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** Runs the CLI in this process with captured stdout and stderr (faster than spawning it). */
export async function runCli(argv: string[], stdinText = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
  const chunks = { out: '', err: '' };
  stdout.on('data', (c: Buffer) => (chunks.out += c.toString()));
  (stderr as unknown as PassThrough).on('data', (c: Buffer) => (chunks.err += c.toString()));
  const code = await main(argv, { stdout, stderr, stdin: Readable.from([stdinText]) });
  return { code, stdout: chunks.out, stderr: chunks.err };
}
