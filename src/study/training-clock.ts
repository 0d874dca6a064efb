/** How far a training run is, by time: the study's progress bar and its ETA. */

/**
 * A run's progress as a fraction of its expected time, not of its steps: the during-training
 * checks can cost more than the steps between them (a cold λmax(P⁻¹H) on a large model took
 * minutes while a step-based bar read 85 %), so each is timed and the checks still to come count.
 */
export class TrainingClock {
  checks = 0;
  private checkMs = 0;
  private started = performance.now();
  private checkStart = 0;

  constructor(private readonly every: number) {}

  /** Checks a run of `total` steps holds at most (it may converge earlier). */
  checksIn(total: number): number {
    return this.every > 0 ? Math.floor(total / this.every) : 0;
  }

  startCheck(): void {
    this.checkStart = performance.now();
  }

  endCheck(): void {
    this.checkMs += performance.now() - this.checkStart;
    this.checks++;
  }

  fraction(step: number, total: number): number {
    if (step <= 0) return 0;
    const stepMs = (performance.now() - this.started - this.checkMs) / step;
    const left = (total - step) * stepMs + (this.checks ? (this.checkMs / this.checks) * Math.max(0, this.checksIn(total) - this.checks) : 0);
    const spent = performance.now() - this.started;
    return spent / (spent + left);
  }
}
