/** A progress bar on stderr when it is a terminal; otherwise a line every 10% (CI logs stay short). */
export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = performance.now();
  let lastDecile = -1;
  const line = (done: number, detail = ''): string => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${seconds}s ${detail}`;
  };
  return {
    update(done, detail) {
      if (stream.isTTY) {
        stream.write(`\r${line(done, detail)}\u001b[K`);
        return;
      }
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (decile > lastDecile) {
        lastDecile = decile;
        stream.write(`${line(done, detail)}\n`);
      }
    },
    finish(detail) {
      stream.write(`${stream.isTTY ? '\r' : ''}${line(total, detail)}${stream.isTTY ? '\u001b[K' : ''}\n`);
    },
  };
}
