/**
 * TensorFlow.js (@tensorflow/tfjs + tfjs-backend-webgpu 4.22) in Node, on the Dawn adapter the engine
 * uses: a matmul, and one SGD step of an MLP (ReLU, softmax cross-entropy) with optimizer.minimize.
 *
 * Loading: the @tensorflow/tfjs bundle, because tfjs-core's Node build registers no gradients
 * (their ESM files cannot be imported from Node), then the backend, which registers 'webgpu' at
 * import time only if navigator.gpu exists — so both are imported inside withNavigatorGpu.
 * tf.setBackend('webgpu') then requests an adapter and a device from that navigator. Nothing else
 * is needed in Node (no window or document).
 *
 * Timing: TF.js batches dispatches into one command encoder and submits every 15 dispatches or
 * on a readback. A timed run issues the op, submits what is pending (the backend's own public
 * submitQueue) and waits for queue.onSubmittedWorkDone() on TF.js's device — no readback.
 */
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { DeviceErrors, joinParams, prepared, reason, splitParams, type Loaded, type MatmulProblem, type MlpProblem, type Prepared } from './common';

type Tf = typeof import('@tensorflow/tfjs');
export interface Tfjs {
  tf: Tf;
  backend: WebGPUBackend;
  errors: DeviceErrors;
}

let loaded: Promise<Loaded<Tfjs>> | null = null;

/** Import TF.js and start its WebGPU backend, once per process; call inside withNavigatorGpu. */
export function loadTfjs(): Promise<Loaded<Tfjs>> {
  loaded ??= (async (): Promise<Loaded<Tfjs>> => {
    try {
      const tf = await import('@tensorflow/tfjs');
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!tf.findBackendFactory('webgpu')) return { unavailable: 'tfjs-backend-webgpu did not register: navigator.gpu was missing when it was imported' };
      if (!(await tf.setBackend('webgpu'))) return { unavailable: "tf.setBackend('webgpu') failed to initialise the backend (TF.js printed why)" };
      const backend = tf.backend() as WebGPUBackend;
      return { lib: { tf, backend, errors: new DeviceErrors(backend.device) } };
    } catch (err) {
      return { unavailable: `TF.js did not load: ${reason(err)}` };
    }
  })();
  return loaded;
}

/** Destroy TF.js's device; TF.js cannot re-create its backend in this process afterwards. */
export async function closeTfjs(): Promise<void> {
  const current = await loaded;
  if (current && 'lib' in current) current.lib.backend.device.destroy();
  if (current) loaded = Promise.resolve({ unavailable: 'TF.js was closed by closePeers() in this process' });
}

/** Submit what TF.js has encoded and wait until its GPU work is done. */
async function gpuDone(backend: WebGPUBackend): Promise<void> {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

export async function tfMatmul({ tf, backend }: Tfjs, p: MatmulProblem): Promise<Prepared> {
  const a = tf.tensor2d(p.a, [p.m, p.k]);
  const b = tf.tensor2d(p.b, [p.k, p.n]);
  return prepared(() => tf.dispose([a, b]), async () => {
    const c = tf.matMul(a, b);
    const result = (await c.data()) as Float32Array;
    c.dispose();
    const run = async () => {
      const c = tf.matMul(a, b);
      await gpuDone(backend);
      c.dispose();
    };
    return { result, run };
  });
}

/**
 * One SGD step on one batch. The result checked against the engine is the gradient at the given
 * θ (tf.variableGrads); the timed run is optimizer.minimize, i.e. forward, backward and update.
 */
export async function tfSgdStep({ tf, backend }: Tfjs, p: MlpProblem, lr: number): Promise<Prepared> {
  const layers = p.layout.layers;
  const vars: Variable[] = splitParams(p.layout, p.params).flatMap((l, i) => [
    tf.variable(tf.tensor2d(l.w, [layers[i].outDim, layers[i].inDim])),
    tf.variable(tf.tensor1d(l.b)),
  ]);
  const x = tf.tensor2d(p.x, [p.rows, layers[0].inDim]);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(p.labels), 'int32'), layers[layers.length - 1].outDim), 'float32'));
  const optimizer = tf.train.sgd(lr);
  // The engine's MLP: z = h·Wᵀ + b, ReLU between layers, mean softmax cross-entropy.
  const loss = (): Scalar => {
    let h: Tensor = x;
    layers.forEach((_, i) => {
      const z = tf.add(tf.matMul(h, vars[2 * i], false, true), vars[2 * i + 1]);
      h = i < layers.length - 1 ? tf.relu(z) : z;
    });
    return tf.losses.softmaxCrossEntropy(y, h) as Scalar;
  };
  const close = () => {
    optimizer.dispose();
    tf.dispose([...vars, x, y]);
  };
  return prepared(close, async () => {
    const { value, grads } = tf.variableGrads(loss, vars);
    const g = await Promise.all(vars.map((v) => grads[v.name].data() as Promise<Float32Array>));
    tf.dispose([value, ...Object.values(grads)]);
    const run = async () => {
      optimizer.minimize(loss, false, vars);
      await gpuDone(backend);
    };
    return { result: joinParams(p.layout, layers.map((_, i) => ({ w: g[2 * i], b: g[2 * i + 1] }))), run };
  });
}
