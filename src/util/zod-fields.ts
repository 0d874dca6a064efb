/**
 * The building blocks of settings schemas (the study's config, the measures' own `probe` settings):
 * zod leaf types whose errors read as the config's messages ("must be a positive integer, got
 * 2.5"), strict objects whose unknown keys get a "did you mean" and the list of valid keys, checks
 * across fields, and a zod path as the config names it. Below the measures and the study, so both
 * build their settings from the same pieces.
 */
import * as z from 'zod';
import { didYouMean } from './suggest';
import { quoted } from '../vocabulary';

type Issue = z.core.$ZodRawIssue;
type Message = { error: (iss: Issue) => string };

/** An error "must be <what>, got <the value>" for a leaf and each of its checks. */
export const must = (what: string): Message => ({ error: (iss) => `must be ${what}, got ${JSON.stringify(iss.input)}` });

export const posInt = () => z.int(must('a positive integer')).min(1, must('a positive integer'));
export const nonNegInt = () => z.int(must('a non-negative integer')).min(0, must('a non-negative integer'));
/** z.number() is finite already (zod 4 refuses NaN and ±Infinity). */
export const positive = () => z.number(must('a positive number')).positive(must('a positive number'));
export const finite = () => z.number(must('a finite number'));
export const flag = (what = '') => z.boolean(must(`true or false${what}`));
export const name = () => z.string(must('a name of letters, digits, _ . -')).regex(/^[\w.-]+$/, { error: 'must be a name of letters, digits, _ . -' });

/** One of a fixed list, naming the valid values. */
export const choice = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (iss) => `is ${JSON.stringify(iss.input)}; valid values are ${quoted(values)}` });

/** A list whose entries must differ ("lists a seed twice: [1,1]"). */
export const distinct = <T>(what: string) => (ctx: z.core.ParsePayload<T[]>) => {
  if (new Set(ctx.value).size !== ctx.value.length) ctx.issues.push(issue(ctx.value, [], `lists ${what} twice: ${JSON.stringify(ctx.value)}`));
};

/** A custom issue at `path` (relative to the schema whose check raises it). */
export function issue(input: unknown, path: PropertyKey[], message: string): z.core.$ZodRawIssue {
  return { code: 'custom', input, path, message };
}

/** How a cross-field check reports a problem: the field (relative to the checked object) and why. */
export type Fail = (path: PropertyKey[], message: string) => void;

/**
 * A cross-field check that runs only on an object whose own fields passed (zod runs checks after
 * non-fatal field issues too, and a range check on a bad value would only add noise).
 */
export const across = <T>(check: (value: T, fail: Fail) => void) => (ctx: z.core.ParsePayload<T>) => {
  if (ctx.issues.length > 0) return;
  check(ctx.value, (path, message) => ctx.issues.push(issue(ctx.value, path, message)));
};

/**
 * An object that refuses unknown keys: a misspelt key would otherwise leave its default in force
 * without a word. `unknown` words the refusal where "not a known setting" would mislead. (Keys of
 * earlier config files are named by the study's configError, which knows them.)
 */
export function strict<S extends z.core.$ZodLooseShape>(shape: S, unknown?: (key: string, known: string[]) => string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      const at = iss.path ?? [];
      if (iss.code === 'invalid_type') return `must be an object of settings (${known.join(', ')})`;
      if (iss.code !== 'unrecognized_keys') return undefined;
      const key = iss.keys[0];
      if (unknown) return unknown(key, known);
      return `is not a known setting${didYouMean(key, known)}; valid keys${at.length ? ` of '${fieldPath(at)}'` : ''}: ${known.join(', ')}`;
    },
  });
}

/** `configurations[0].optimizer.lr` from zod's path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}
