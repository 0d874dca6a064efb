/**
 * The page's one number format: significant digits, exponent form only far from 1, an em dash
 * for a missing value (never "— %"), and its 95 % interval wherever an estimate has one. Charts use
 * the same rule through Vega's d3-format string NUMBER_FORMAT.
 */

/** d3-format equivalent of `num` for chart axes, legends and tooltips. */
export const NUMBER_FORMAT = '.4~g';

const missing = (v: number | null | undefined): v is null | undefined => v == null || !Number.isFinite(v);

/** `digits` significant digits; exponent form below 1e-3 and from 1e6 on. */
export function num(v: number | null | undefined, digits = 4): string {
  if (missing(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  if (Number.isInteger(v) && a < 10 ** digits) return String(v);
  return String(Number(v.toPrecision(digits)));
}

/** A fraction in [0, 1] as a percentage. */
export function pct(v: number | null | undefined, digits = 4): string {
  return missing(v) ? '—' : `${num(100 * v, digits)} %`;
}

/** An estimate with its 95 % interval, the bounds to three significant digits. */
export function withInterval(v: number | null | undefined, bounds: { low: number; high: number } | null | undefined, digits = 4): string {
  return missing(v) ? '—' : !bounds || missing(bounds.low) || missing(bounds.high) ? num(v, digits) : `${num(v, digits)} [${num(bounds.low, 3)}, ${num(bounds.high, 3)}]`;
}

/** Seconds for people: "0.4 s", "12 s", "3 min 5 s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
