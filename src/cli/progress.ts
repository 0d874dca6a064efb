/** Progress output: a redrawn bar with ETA on a terminal, plain log lines otherwise (CI, pipes). */
export class Progress {
  private started = new Map<string, number>();
  private lastPlain = new Map<string, number>();

  constructor(private readonly tty = !!process.stderr.isTTY) {}

  update(run: string, fraction: number, note: string): void {
    const now = performance.now();
    if (!this.started.has(run)) this.started.set(run, now);
    const elapsed = (now - this.started.get(run)!) / 1000;
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
    const pct = Math.round(100 * fraction);
    if (this.tty) {
      const width = 24;
      const filled = Math.round(width * fraction);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      process.stderr.write(`\r${run.padEnd(26)} ${bar} ${String(pct).padStart(3)}%  ${note}  ETA ${fmt(eta)}   `);
      if (fraction >= 1) process.stderr.write('\n');
    } else {
      // One line per 10% keeps logs readable.
      const bucket = Math.floor(pct / 10);
      if (this.lastPlain.get(run) === bucket && fraction < 1) return;
      this.lastPlain.set(run, bucket);
      console.error(`${run}: ${pct}% ${note} (ETA ${fmt(eta)})`);
    }
  }

  line(text: string): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
    console.error(text);
  }
}

function fmt(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  return seconds < 60 ? `${seconds.toFixed(0)}s` : `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}
