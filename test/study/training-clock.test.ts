/** The progress fraction counts the during-training checks still to come, not only the steps. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrainingClock } from '../../src/study/training-clock';

afterEach(() => vi.useRealTimers());

describe('TrainingClock', () => {
  it('a run whose checks cost more than its steps is not reported nearly done when its steps are', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const clock = new TrainingClock(100);
    // 100 steps at 10 ms, then a check of 10 s; 1,000 steps in all, so 9 more checks to come.
    vi.advanceTimersByTime(1_000);
    clock.startCheck();
    vi.advanceTimersByTime(10_000);
    clock.endCheck();
    expect(clock.checksIn(1000)).toBe(10);
    const byTime = clock.fraction(100, 1000);
    // Spent 11 s; left 900 steps × 10 ms + 9 checks × 10 s = 99 s.
    expect(byTime).toBeCloseTo(11 / 110, 6);
    expect(byTime).toBeLessThan(100 / 1000 + 0.01);
    // Without checks the fraction is the fraction of steps.
    const plain = new TrainingClock(0);
    vi.advanceTimersByTime(500);
    expect(plain.fraction(250, 1000)).toBeCloseTo(0.25, 6);
  });
});
