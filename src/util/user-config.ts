/**
 * A user's own config files (Node only): where one lives — an environment variable naming it, else
 * $XDG_CONFIG_HOME/hessian-gpu/<file> or ~/.config/hessian-gpu/<file> — and its text. The engine's
 * layers below the CLI read user files only through here, so no kernel module touches the
 * environment or the file system; in a browser there is no such file.
 */
const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export function userConfigPath(file: string, envVar: string): string | null {
  if (!isNode) return null;
  const env = process.env;
  if (env[envVar]) return env[envVar]!;
  const home = env.XDG_CONFIG_HOME ?? (env.HOME ? `${env.HOME}/.config` : null);
  return home ? `${home}/hessian-gpu/${file}` : null;
}

/** The file's path and text, or null when there is none. */
export async function readUserConfig(file: string, envVar: string): Promise<{ path: string; text: string } | null> {
  const path = userConfigPath(file, envVar);
  if (!path) return null;
  // A variable specifier keeps bundlers from pulling node:fs into browser builds.
  const fsModule = 'node:fs/promises';
  const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsModule);
  try {
    return { path, text: await fs.readFile(path, 'utf8') };
  } catch {
    return null;
  }
}
