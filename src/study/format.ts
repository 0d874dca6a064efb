/** How the report writes an estimate with its interval (report.ts and its section modules). */
import type { Estimate } from './results';

/** "m [lo, hi]", or "m" when the interval is undefined, or "n/a". */
export function formatEstimate(e: Estimate, digits: number, scale = 1): string {
  if (!Number.isFinite(e.value)) return 'n/a';
  const f = (x: number) => (x * scale).toFixed(digits);
  return Number.isFinite(e.low) && Number.isFinite(e.high) ? `${f(e.value)} [${f(e.low)}, ${f(e.high)}]` : f(e.value);
}
