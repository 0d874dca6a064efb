/**
 * jax-js (@jax-js/jax 0.1.x) in Node, on the Dawn adapter the engine uses: a jitted matmul, and
 * the MLP's Hessian-vector product as JAX writes it, jit(jvp(grad(loss))) — forward-over-reverse,
 * the same R-op the engine's dual kernels compute.
 *
 * jax-js lists WebGPU in Node as unsupported, but init('webgpu') needs only navigator.gpu (it
 * requests its own adapter and device there), plus navigator.userAgent, which it reads while tuning
 * kernels — so loading and every run happen inside withNavigatorGpu.
 *
 * Arrays are reference-counted: every call consumes its arguments, so repeated calls pass `.ref`.
 * Timing: jax-js is lazy; blockUntilReady() submits the pending kernels and waits for them with a
 * zero-byte readback, the closest jax-js has to queue.onSubmittedWorkDone().
 */
import type { Array as JaxArray } from '@jax-js/jax';
import { DeviceErrors, joinParams, prepared, reason, splitParams, type Loaded, type MatmulProblem, type MlpProblem, type Prepared } from './common';

type Jax = typeof import('@jax-js/jax');
export interface JaxJs {
  jax: Jax;
  errors: DeviceErrors;
}
type Layer = { w: JaxArray; b: JaxArray };

let loaded: Promise<Loaded<JaxJs>> | null = null;

/** Import jax-js and start its WebGPU backend, once per process; call inside withNavigatorGpu. */
export function loadJax(): Promise<Loaded<JaxJs>> {
  loaded ??= (async (): Promise<Loaded<JaxJs>> => {
    try {
      const jax = await import('@jax-js/jax');
      const devices = await jax.init('webgpu');
      if (!devices.includes('webgpu')) return { unavailable: `jax-js init('webgpu') got no WebGPU device (has: ${devices.join(', ')})` };
      jax.defaultDevice('webgpu');
      return { lib: { jax, errors: new DeviceErrors(jax.getWebGPUDevice()) } };
    } catch (err) {
      return { unavailable: `jax-js did not load: ${reason(err)}` };
    }
  })();
  return loaded;
}

/** Destroy jax-js's device; its WebGPU backend cannot be re-initialised in this process afterwards. */
export async function closeJax(): Promise<void> {
  const current = await loaded;
  if (current && 'lib' in current) current.lib.jax.getWebGPUDevice().destroy();
  if (current) loaded = Promise.resolve({ unavailable: 'jax-js was closed by closePeers() in this process' });
}

export async function jaxMatmul({ jax }: JaxJs, p: MatmulProblem): Promise<Prepared> {
  const np = jax.numpy;
  const a = np.array(p.a, { shape: [p.m, p.k] });
  const b = np.array(p.b, { shape: [p.k, p.n] });
  const matmul = jax.jit((a: JaxArray, b: JaxArray) => np.matmul(a, b));
  const close = () => {
    jax.tree.dispose([a, b]);
    matmul.dispose();
  };
  return prepared(close, async () => {
    const result = (await matmul(a.ref, b.ref).data()) as Float32Array;
    const run = async () => {
      const c = matmul(a.ref, b.ref);
      await c.blockUntilReady();
      c.dispose();
    };
    return { result, run };
  });
}

/** H·v over the batch at θ, by jit(jvp(grad(loss))). */
export async function jaxHvp({ jax }: JaxJs, p: MlpProblem): Promise<Prepared> {
  const { numpy: np, nn } = jax;
  const layers = p.layout.layers;
  const tree = (flat: Float32Array): Layer[] => splitParams(p.layout, flat).map((l, i) => ({
    w: np.array(l.w, { shape: [layers[i].outDim, layers[i].inDim] }),
    b: np.array(l.b),
  }));
  // The engine's MLP: z = h·Wᵀ + b, ReLU between layers, mean softmax cross-entropy (y one-hot).
  const loss = (params: Layer[], x: JaxArray, y: JaxArray): JaxArray => {
    let h = x;
    params.forEach((q, i) => {
      const z = np.matmul(h, np.transpose(q.w)).add(q.b);
      h = i < params.length - 1 ? nn.relu(z) : z;
    });
    return np.mean(np.sum(nn.logSoftmax(h, -1).mul(y), -1)).mul(-1);
  };
  const hvp = jax.jit((params: Layer[], v: Layer[], x: JaxArray, y: JaxArray) =>
    jax.jvp((q: Layer[]) => jax.grad(loss)(q, x, y), [params], [v])[1] as Layer[]);
  const params = tree(p.params);
  const v = tree(p.v);
  const x = np.array(p.x, { shape: [p.rows, layers[0].inDim] });
  const y = nn.oneHot(np.array(Int32Array.from(p.labels), { dtype: np.int32 }), layers[layers.length - 1].outDim);
  const call = () => hvp(jax.tree.ref(params), jax.tree.ref(v), x.ref, y.ref);
  const close = () => {
    jax.tree.dispose([params, v, x, y]);
    hvp.dispose();
  };
  return prepared(close, async () => {
    const hv = [];
    for (const l of call()) hv.push({ w: (await l.w.data()) as Float32Array, b: (await l.b.data()) as Float32Array });
    const run = async () => {
      const out = call();
      await jax.blockUntilReady(out);
      jax.tree.dispose(out);
    };
    return { result: joinParams(p.layout, hv), run };
  });
}
