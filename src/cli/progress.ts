/**
 * Progress output: a redrawn bar with ETA on a terminal, plain log lines otherwise (CI, pipes).
 * Training reports a fraction of its budget; after it, each probe of the minimum reports its stage
 * (what is being measured and for how long), so the line never sits at 100 % without saying why.
 */
export class Progress {
  private started = new Map<string, number>();
  private lastPlain = new Map<string, number>();
  private stageTimer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly tty = !!process.stderr.isTTY) {}

  update(run: string, fraction: number, note: string): void {
    this.stopStage();
    const now = performance.now();
    if (!this.started.has(run)) this.started.set(run, now);
    const elapsed = (now - this.started.get(run)!) / 1000;
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
    const pct = Math.round(100 * fraction);
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${run.padEnd(26)} ${bar(fraction)} ${String(pct).padStart(3)}%  ${note}  ETA ${fmt(eta)}`);
    } else {
      // One line per 10% keeps logs readable.
      const bucket = Math.floor(pct / 10);
      if (this.lastPlain.get(run) === bucket && fraction < 1) return;
      this.lastPlain.set(run, bucket);
      console.error(`${run}: ${pct}% ${note} (ETA ${fmt(eta)})`);
    }
  }

  /** A named stage after training (a probe): its name and the seconds spent in it, redrawn each second on a terminal. */
  stage(run: string, text: string): void {
    this.stopStage();
    if (!this.tty) {
      console.error(`${run}: ${text}`);
      return;
    }
    const since = performance.now();
    const draw = () => process.stderr.write(`\r\x1b[K${run.padEnd(26)} ${text} (${fmt((performance.now() - since) / 1000)})`);
    draw();
    this.stageTimer = setInterval(draw, 1000);
    // The timer only redraws: it must not keep the process alive.
    this.stageTimer.unref?.();
  }

  line(text: string): void {
    this.stopStage();
    if (this.tty) process.stderr.write('\r\x1b[K');
    console.error(text);
  }

  private stopStage(): void {
    if (this.stageTimer) clearInterval(this.stageTimer);
    this.stageTimer = null;
  }
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(width * Math.min(1, Math.max(0, fraction)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

function fmt(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  return seconds < 60 ? `${seconds.toFixed(0)}s` : `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}
