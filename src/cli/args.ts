/**
 * The command line's grammar, strict: node:util parseArgs per command, so an unknown or misplaced
 * flag (`--confg x.json`) is an error with a "did you mean" suggestion instead of being ignored
 * while the defaults run. Pure (no IO), so tests check it directly.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../util/suggest';

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = { help: { type: 'boolean', short: 'h' } };
const RUN: Options = {
  config: { type: 'string' },
  out: { type: 'string' },
  fresh: { type: 'boolean' },
  export: { type: 'string' },
  estimate: { type: 'boolean' },
};

export type Command = 'study' | 'train' | 'probe' | 'bench' | 'merge' | 'report';

export const COMMANDS: Record<Command, { options: Options; positionals: number }> = {
  study: { options: { ...COMMON, ...RUN, shard: { type: 'string' } }, positionals: 0 },
  train: { options: { ...COMMON, ...RUN, configuration: { type: 'string' }, seed: { type: 'string' } }, positionals: 0 },
  probe: {
    options: {
      ...COMMON, checkpoint: { type: 'string' }, config: { type: 'string' }, out: { type: 'string' },
      // A model saved elsewhere (src/cli/import-model.ts).
      weights: { type: 'string' }, activation: { type: 'string' }, layers: { type: 'string' }, data: { type: 'string' },
      labels: { type: 'string' }, normalise: { type: 'string' }, seed: { type: 'string' },
      // The SGD continuation of probe.noise on an imported model (a checkpoint records its own).
      lr: { type: 'string' }, 'batch-size': { type: 'string' },
    },
    positionals: 0,
  },
  bench: {
    options: {
      ...COMMON, samples: { type: 'string' }, repeats: { type: 'string' }, large: { type: 'string' },
      tol: { type: 'string' }, shapes: { type: 'string' }, tune: { type: 'boolean' }, out: { type: 'string' },
    },
    positionals: 1,
  },
  // The shards' folders, as many as there are shards.
  merge: { options: { ...COMMON, out: { type: 'string' } }, positionals: Infinity },
  // One study's results.json.
  report: { options: { ...COMMON, out: { type: 'string' } }, positionals: 1 },
};

export interface CommandLine {
  command: Command;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The arguments after the command, as given (the bench suites parse their own values from them). */
  rest: string[];
}

/** Parse argv (without node and the script). No command, or a flag first, means `study`. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const first = argv[0];
  const named = first !== undefined && !first.startsWith('-');
  if (named && !(first in COMMANDS)) {
    throw new Error(`unknown command '${first}'${didYouMean(first, Object.keys(COMMANDS))}; commands: ${Object.keys(COMMANDS).join(', ')} (--help for details)`);
  }
  const command = (named ? first : 'study') as Command;
  const rest = named ? argv.slice(1) : [...argv];
  const spec = COMMANDS[command];
  const flags = Object.keys(spec.options).map((o) => `--${o}`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: spec.options, strict: true, allowPositionals: spec.positionals > 0 });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? '';
      throw new Error(`${command}: unknown option '${flag}'${didYouMean(flag, flags)}; valid options: ${flags.join(', ')}`);
    }
    throw new Error(`${command}: ${e.message}`);
  }
  if (parsed.positionals.length > spec.positionals) {
    throw new Error(`${command}: unexpected argument '${parsed.positionals[spec.positionals]}'; valid options: ${flags.join(', ')}`);
  }
  return { command, values: parsed.values as CommandLine['values'], positionals: parsed.positionals, rest };
}

/** A string option's value, or undefined. */
export function stringOption(cl: CommandLine, name: string): string | undefined {
  const v = cl.values[name];
  return typeof v === 'string' ? v : undefined;
}
