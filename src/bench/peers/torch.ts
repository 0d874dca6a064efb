/**
 * PyTorch on the CPU, for context: what a user without a GPU would pick. Not on the engine's adapter
 * and not in its process — a python3 child with torch on every core, given the same problems (θ, data,
 * direction and start vector in the engine's layouts, as raw float32 files) — so its rows say what the
 * CPU fallback costs against the obvious alternative, not how two WebGPU engines compare.
 *
 *   sgd step  nn.Sequential forward + backward + optim.SGD.step (result: the gradient at θ)
 *   gradient  the same over the HVP's rows, without the step
 *   hvp       double backward: grad of (∇L·v) with create_graph (torch 1.13 has no torch.func)
 *   λmax      power iteration from the engine's start vector with the engine's stopping rule (hasSettled)
 *
 * Timing: median and IQR of `repeats` runs after `warmup`, wall clock inside Python. Absent python3
 * or torch, every row is 'unavailable: …'; nothing here is needed to build or test the engine.
 * The interpreter is $HESSIAN_GPU_PYTHON, else the first of python3 and /usr/bin/python3 that imports
 * torch (a pyenv shim on PATH may hide the system's python3-torch).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MlpProblem, TimingOptions } from './common';

const run = promisify(execFile);

export interface TorchJob {
  /** Job name, also the stem of its output file. */
  name: string;
  op: 'sgd step' | 'gradient' | 'hvp' | 'λmax';
  problem: MlpProblem;
  lr?: number;
  tol?: number;
  /** λmax: the start vector (the engine's, from the same seed). */
  start?: Float32Array;
}

export interface TorchResult {
  result: Float32Array;
  medianMs: number;
  relativeIqr: number;
  /** λmax: the eigenvalue and the number of operator applications. */
  lambda?: number;
  iterations?: number;
}

export interface TorchPeer {
  python: string;
  /** e.g. 'torch 1.13.1, 2 threads'. */
  about: string;
}

const PROGRAM = String.raw`
import json, os, sys, time
import numpy as np, torch
req = json.load(open(sys.argv[1]))
torch.set_num_threads(req['threads'])
d = req['dir']
def arr(name): return torch.from_numpy(np.fromfile(os.path.join(d, name), dtype=np.float32))
def timed(fn, warmup, repeats):
    for _ in range(warmup): fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); ts.append(1000 * (time.perf_counter() - t0))
    q = np.percentile(ts, [25, 50, 75])
    return float(q[1]), float((q[2] - q[0]) / q[1])
def model_for(widths, theta):
    layers, o = [], 0
    for i in range(len(widths) - 1):
        a, b = widths[i], widths[i + 1]
        lin = torch.nn.Linear(a, b)
        with torch.no_grad():
            lin.weight.copy_(theta[o:o + a * b].view(b, a)); o += a * b
            lin.bias.copy_(theta[o:o + b]); o += b
        layers += [lin] + ([torch.nn.ReLU()] if i < len(widths) - 2 else [])
    return torch.nn.Sequential(*layers)
def flat(ts): return torch.cat([t.reshape(-1) for t in ts])
def settled(mu, tol):
    k = len(mu)
    if k < 2: return False
    bound, last = tol * abs(mu[-1]), abs(mu[-1] - mu[-2])
    if last == 0: return True
    if last > bound or k < 3: return False
    rate = last / abs(mu[-2] - mu[-3])
    return rate < 1 and last * rate / (1 - rate) <= bound
out = {'about': 'torch %s, %d threads' % (torch.__version__, torch.get_num_threads()), 'jobs': {}}
for job in req['jobs']:
    w, n = job['widths'], job['name']
    theta, x = arr(n + '.theta'), arr(n + '.x').view(job['rows'], w[0])
    y = torch.from_numpy(np.fromfile(os.path.join(d, n + '.labels'), dtype=np.uint32).astype(np.int64))
    model = model_for(w, theta)
    params = list(model.parameters())
    loss = lambda: torch.nn.functional.cross_entropy(model(x), y)
    res = {}
    if job['op'] in ('sgd step', 'gradient'):
        model.zero_grad(); loss().backward()
        result = flat([p.grad for p in params])
        if job['op'] == 'sgd step':
            opt = torch.optim.SGD(params, lr=job['lr'])
            def step():
                opt.zero_grad(); loss().backward(); opt.step()
            res['ms'] = timed(step, job['warmup'], job['repeats'])
        else:
            res['ms'] = timed(lambda: torch.autograd.grad(loss(), params), job['warmup'], job['repeats'])
    else:
        def hvp(v):
            g = torch.autograd.grad(loss(), params, create_graph=True)
            vs, o = [], 0
            for p in params:
                vs.append(v[o:o + p.numel()].view_as(p)); o += p.numel()
            return flat(torch.autograd.grad(flat(g) @ flat(vs), params))
        if job['op'] == 'hvp':
            v = arr(n + '.v')
            result = hvp(v)
            res['ms'] = timed(lambda: hvp(v), job['warmup'], job['repeats'])
        else:
            start = arr(n + '.start')
            def power():
                v = start / start.norm(); mu = []
                while len(mu) < 1000:
                    wv = hvp(v); mu.append(float(v @ wv)); v = wv / wv.norm()
                    if settled(mu, job['tol']): break
                return mu, v
            mu, v = power()
            result = v
            res['lambda'], res['iterations'] = mu[-1], len(mu)
            res['ms'] = timed(power, 0, job['repeats'])
    result.detach().numpy().astype(np.float32).tofile(os.path.join(d, n + '.out'))
    out['jobs'][n] = res
print(json.dumps(out))
`;

const INSTALL = 'install it with `apt-get install python3-torch libopenblas0-pthread` (Debian) or pip, or point HESSIAN_GPU_PYTHON at a python with torch';

/** The first interpreter that imports torch, or why none does. */
export async function findTorch(): Promise<TorchPeer | { unavailable: string }> {
  const candidates = process.env.HESSIAN_GPU_PYTHON ? [process.env.HESSIAN_GPU_PYTHON] : ['python3', '/usr/bin/python3'];
  const errors: string[] = [];
  for (const python of candidates) {
    try {
      const { stdout } = await run(python, ['-c', 'import torch; print(torch.__version__)'], { timeout: 120_000 });
      return { python, about: `torch ${stdout.trim()}` };
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      errors.push(`${python}: ${(e.stderr?.trim().split('\n').at(-1) || e.message.split('\n')[0])}`);
    }
  }
  return { unavailable: `PyTorch not importable (${errors.join('; ')}); ${INSTALL}` };
}

/** Run the jobs in one python3 child on every core; results in job order. λmax runs lambdaRepeats times (its first run, the result, is the warm-up). */
export async function runTorch(peer: TorchPeer, jobs: TorchJob[], t: TimingOptions, lambdaRepeats: number): Promise<{ about: string; results: TorchResult[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'hessian-gpu-torch-'));
  try {
    const raw = (a: Float32Array | Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (const j of jobs) {
      await writeFile(join(dir, `${j.name}.theta`), raw(j.problem.params));
      await writeFile(join(dir, `${j.name}.x`), raw(j.problem.x));
      await writeFile(join(dir, `${j.name}.labels`), raw(j.problem.labels));
      await writeFile(join(dir, `${j.name}.v`), raw(j.problem.v));
      if (j.start) await writeFile(join(dir, `${j.name}.start`), raw(j.start));
    }
    const request = {
      dir, threads: cpus().length,
      jobs: jobs.map((j) => ({
        name: j.name, op: j.op, widths: j.problem.layout.widths, rows: j.problem.rows, lr: j.lr, tol: j.tol,
        warmup: t.warmup, repeats: j.op === 'λmax' ? lambdaRepeats : t.repeats,
      })),
    };
    await writeFile(join(dir, 'request.json'), JSON.stringify(request));
    const { stdout } = await run(peer.python, ['-c', PROGRAM, join(dir, 'request.json')], { maxBuffer: 1 << 24 });
    const reply = JSON.parse(stdout.trim().split('\n').at(-1)!) as { about: string; jobs: Record<string, { ms: [number, number]; lambda?: number; iterations?: number }> };
    const results: TorchResult[] = [];
    for (const j of jobs) {
      const r = reply.jobs[j.name];
      const bytes = await readFile(join(dir, `${j.name}.out`));
      results.push({
        result: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
        medianMs: r.ms[0], relativeIqr: r.ms[1], lambda: r.lambda, iterations: r.iterations,
      });
    }
    return { about: reply.about, results };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
