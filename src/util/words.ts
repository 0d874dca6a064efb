/** Small helpers for the sentences reports render from numbers. */

/** "1 epoch", "40 epochs". */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A duration for a reader: "40 s", "12 min", "3 h 5 min", "4.2 days". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${(h / 24).toFixed(1)} days`;
}
