/**
 * Where each layer's weights and biases sit in the flat parameter buffer.
 * Layer l (1-based in the math, 0-based here) stores W (out × in, row-major)
 * followed by b (out). Every parameter-space vector (gradient, direction,
 * eigenvector, optimiser state) uses this same layout.
 */
import { ShapeError } from '../gpu/errors';

export interface LayerSlice {
  inDim: number;
  outDim: number;
  /** Element offset of W in the flat buffer. */
  weightOffset: number;
  /** Element offset of b in the flat buffer. */
  biasOffset: number;
}

export interface ParamLayout {
  widths: readonly number[];
  layers: LayerSlice[];
  size: number;
}

export function paramLayout(widths: readonly number[]): ParamLayout {
  if (widths.length < 2) throw new ShapeError(`an MLP needs at least an input and an output width, got [${widths.join(', ')}]`);
  for (const w of widths) {
    if (!Number.isInteger(w) || w < 1) throw new ShapeError(`layer widths must be positive integers, got [${widths.join(', ')}]`);
  }
  const layers: LayerSlice[] = [];
  let offset = 0;
  for (let l = 1; l < widths.length; l++) {
    const inDim = widths[l - 1];
    const outDim = widths[l];
    layers.push({ inDim, outDim, weightOffset: offset, biasOffset: offset + inDim * outDim });
    offset += inDim * outDim + outDim;
  }
  return { widths: [...widths], layers, size: offset };
}
