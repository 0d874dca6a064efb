/**
 * Errors the engine raises on purpose. Each names the cause and the fix, so a user who sees one
 * knows what to do without reading the engine's code.
 */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

export class ShaderError extends Error {
  override name = 'ShaderError';
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

export class LimitError extends Error {
  override name = 'LimitError';
}

export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

/** The host's descriptor of a kernel (uniform fields, binding kinds) disagrees with its WGSL. A ShaderError, so callers catching those see it. */
export class ContractError extends ShaderError {
  override name = 'ContractError';
}
