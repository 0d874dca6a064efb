/** Small helpers for the sentences reports render from numbers. */

/** "1 epoch", "40 epochs". */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
