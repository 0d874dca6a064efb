/**
 * The engine's shared vocabularies, each list written once: every layer (kernels, models, configs,
 * CLI, demo) imports its names and validity checks from here. A leaf module: it imports nothing.
 */

/** Hidden-layer activations a model may use. */
export const ACTIVATIONS = ['relu', 'tanh', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** What a matmul epilogue can apply: the hidden activations plus identity (the output layer). */
export const EPILOGUE_ACTIVATIONS = ['identity', ...ACTIVATIONS] as const;
export type ActivationName = (typeof EPILOGUE_ACTIVATIONS)[number];
/** The ACT override constant of the WGSL kernels (shaders/activation.wgsl): the index in the list above. */
export const ACTIVATION_CODE = Object.fromEntries(EPILOGUE_ACTIVATIONS.map((a, i) => [a, i])) as Record<ActivationName, number>;

export const OPTIMIZER_KINDS = ['sgd', 'adam', 'adamw'] as const;
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];
/** How reports and the demo name each optimizer. */
export const OPTIMIZER_LABELS: Record<OptimizerKind, string> = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW' };

/** Dataset sources a config may name (src/data/load-dataset.ts). */
export const DATA_SOURCES = ['mnist-10k', 'mnist', 'idx'] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

export function isActivation(v: unknown): v is Activation {
  return (ACTIVATIONS as readonly unknown[]).includes(v);
}

/** "'a', 'b', 'c'" for error messages. */
export function quoted(list: readonly string[]): string {
  return list.map((s) => `'${s}'`).join(', ');
}
