/**
 * A dataset uploaded to the GPU once: pixels as bytes packed four per u32 (or f32 features for
 * synthetic data), labels as u32, plus the affine map gather applies to every feature
 * (x = scale·pixel + shift). Minibatches and evaluation chunks are gathered from it on the GPU.
 */
import type { Gpu } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import type { Dataset } from './dataset';

export interface Normalisation {
  scale: number;
  shift: number;
}

/** Bytes to [0, 1], the convention of the MNIST loaders of Keras/TF.js/PyTorch's ToTensor(). */
export const UNIT_RANGE: Normalisation = { scale: 1 / 255, shift: 0 };

export class GpuDataset {
  private constructor(
    readonly name: string,
    readonly count: number,
    readonly features: number,
    readonly classes: number,
    readonly packed: boolean,
    readonly pixels: Tensor,
    readonly labels: Tensor,
    readonly normalisation: Normalisation,
    /** The identity order 0..count-1, for evaluation passes. */
    readonly identity: Tensor,
  ) {}

  static fromDataset(gpu: Gpu, ds: Dataset, normalisation: Normalisation = UNIT_RANGE): GpuDataset {
    const words = new Uint32Array(Math.ceil(ds.pixels.length / 4));
    new Uint8Array(words.buffer).set(ds.pixels);
    return GpuDataset.make(gpu, ds.name, ds.count, ds.features, ds.classes, true, words, ds.labels, normalisation);
  }

  /** Float features (count × features, row-major), e.g. synthetic data for tests. */
  static fromFloats(gpu: Gpu, x: Float32Array, labels: ArrayLike<number>, features: number, classes: number, name = 'floats'): GpuDataset {
    const count = labels.length;
    if (x.length !== count * features) {
      throw new Error(`dataset '${name}': ${x.length} values for ${count} samples × ${features} features`);
    }
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) throw new Error(`dataset '${name}': feature ${i} is ${x[i]}; inputs must be finite (clean the data first)`);
    }
    for (let i = 0; i < count; i++) {
      if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= classes) {
        throw new Error(`dataset '${name}': label ${labels[i]} at sample ${i} is outside 0..${classes - 1}`);
      }
    }
    const words = new Uint32Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
    return GpuDataset.make(gpu, name, count, features, classes, false, words, labels, { scale: 1, shift: 0 });
  }

  private static make(
    gpu: Gpu, name: string, count: number, features: number, classes: number, packed: boolean,
    words: Uint32Array, labels: ArrayLike<number>, normalisation: Normalisation,
  ): GpuDataset {
    if (count < 1) throw new Error(`dataset '${name}' is empty`);
    const pixels = Tensor.create(gpu, [words.length], { dtype: 'u32', data: words, label: `${name}:pixels` });
    const labelTensor = Tensor.create(gpu, [count], { dtype: 'u32', data: Uint32Array.from(labels), label: `${name}:labels` });
    const identity = Tensor.create(gpu, [count], { dtype: 'u32', data: Uint32Array.from({ length: count }, (_, i) => i), label: `${name}:order` });
    return new GpuDataset(name, count, features, classes, packed, pixels, labelTensor, normalisation, identity);
  }

  /**
   * The inputs as the passes see them (count × features, row-major: scale·pixel + shift), read back
   * to the host — for host-side statistics of a probe set, without keeping a second copy around.
   */
  async readInputs(): Promise<Float32Array> {
    const words = (await this.pixels.read()) as Uint32Array;
    const n = this.count * this.features;
    if (!this.packed) return new Float32Array(words.buffer, words.byteOffset, n);
    const bytes = new Uint8Array(words.buffer, words.byteOffset, n);
    const { scale, shift } = this.normalisation;
    return Float32Array.from(bytes, (p) => Math.fround(scale) * p + Math.fround(shift));
  }

  destroy(): void {
    this.pixels.destroy();
    this.labels.destroy();
    this.identity.destroy();
  }

  /** `using x = …` frees it at the end of the scope, as destroy() does. */
  [Symbol.dispose](): void {
    this.destroy();
  }
}
