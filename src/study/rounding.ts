/**
 * Stored results at the precision they carry: every non-integer number rounded to 6 significant
 * digits (float32 HVPs and losses are good to about 6–7; 17-digit densities and loss curves made
 * results.json 783 KB). The `inputs` and `config` subtrees are kept exactly — they are settings,
 * hashed for resume, not measurements. Integers, strings, NaN and ±∞ pass through unchanged.
 */
export const STORED_DIGITS = 6;

const KEPT = new Set(['inputs', 'config']);

export function roundForStorage<T>(value: T, digits = STORED_DIGITS): T {
  return round(value, digits) as T;
}

function round(value: unknown, digits: number): unknown {
  if (typeof value === 'number') return Number.isFinite(value) && !Number.isInteger(value) ? Number(value.toPrecision(digits)) : value;
  if (Array.isArray(value)) return value.map((v) => round(v, digits));
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>, (v) => round(v, digits));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, KEPT.has(k) ? v : round(v, digits)]));
  }
  return value;
}

/**
 * Rounded, indented JSON with each list of numbers on one line: the densities (2 × 2,048 values a
 * run) and loss curves would otherwise take a line per value, twice the bytes of the values.
 */
export function storedJson(value: unknown): string {
  return JSON.stringify(roundForStorage(value), null, 2).replace(/\[\s+((?:-?[\d.e+-]+|null),?\s*)+\]/g, (list) => `[${list.slice(1, -1).trim().split(/,\s*/).join(', ')}]`);
}
