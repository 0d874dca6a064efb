import { describe, expect, it } from 'vitest';
import { prepareMatmul, type ActivationName, type MatmulTile } from '../../src/gpu/ops/matmul';
import { describeTile } from '../../src/gpu/ops/matmul-tiles';
import { Tensor } from '../../src/gpu/tensor';
import { refActivate, refMatmul } from '../../src/gpu/reference';
import { LimitError, ShapeError } from '../../src/gpu/errors';
import { expectClose } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed, randomNormal } from '../support/random';

const gpu = useGpu();
// f32 rounding grows with the length of each dot product: with unit-normal inputs the result's
// typical size is √k, so the absolute tolerance is scaled by it.
const tolFor = (k: number) => ({ atol: 1e-5 * Math.sqrt(k), rtol: 1e-4 });
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [7, 7, 7], [33, 33, 33], [257, 1, 7], [1, 257, 33], [7, 33, 257], [300, 130, 517],
];
const seed = freshSeed();
// Both kernel variants, each with a small tile so the awkward sizes cross several tile edges.
const VARIANTS: [string, MatmulTile][] = [
  ['staged', { wgM: 8, wgN: 8, tileK: 16 }],
  ['direct', { variant: 'direct', wgM: 1, wgN: 8, tileK: 1 }],
];
// The dual products also on the direct kernel's 4-row block (lavapipe's shipped dual tile).
const DUAL_VARIANTS: [string, MatmulTile][] = [...VARIANTS, ['direct 4-row', { variant: 'direct', rows: 4, wgM: 1, wgN: 8, tileK: 1 }]];
const TRANSPOSES = [[false, false], [false, true], [true, false], [true, true]] as const;

/**
 * Stored operand for op(X) of shape rows×cols, with optional transpose, an offset and padding in
 * ld: odd ones by default (never the vec4 path), multiples of 4 when aligned (the vec4 path).
 */
function operand(rows: number, cols: number, transpose: boolean, s: number, aligned = false) {
  const storedRows = transpose ? cols : rows;
  const storedCols = transpose ? rows : cols;
  const ld = aligned ? storedCols + 4 : storedCols + 3;
  const offset = aligned ? 8 : 5;
  const data = randomNormal(offset + storedRows * ld, s);
  return { data, ld, offset, transpose };
}

describe(`matmul (seed ${seed})`, () => {
  const aligned: [number, number, number][] = [[7, 36, 33], [33, 260, 257], [1, 8, 7]];
  const cases = [
    ...SHAPES.map((s) => [...s, false] as const),
    ...aligned.map((s) => [...s, true] as const),
  ];
  for (const [variant, tile] of VARIANTS) for (const [m, n, k, vec] of cases) {
    for (const [ta, tb] of TRANSPOSES) {
      it(`${variant} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k}${vec ? ' (ld, offset, n multiples of 4)' : ''}, accumulate, alpha`, async () => {
        const g = gpu();
        const a = operand(m, k, ta, seed + m, vec);
        const b = operand(k, n, tb, seed + n + 1, vec);
        const A = Tensor.create(g, [a.data.length], { data: a.data });
        const B = Tensor.create(g, [b.data.length], { data: b.data });
        const prior = randomNormal(m * n, seed + 2);
        const C = Tensor.create(g, [m * n], { fill: NaN });
        const plain = await prepareMatmul(g, { m, n, k, tile, a: { buffer: A, ...a }, b: { buffer: B, ...b }, out: { buffer: C } });
        g.run([plain]);
        const want = refMatmul(m, n, k, a, b);
        expectClose(await C.read(), want, tolFor(k), `C ${m}×${n}×${k}`);

        C.write(prior);
        const acc = await prepareMatmul(g, {
          m, n, k, tile, alpha: -0.5, a: { buffer: A, ...a }, b: { buffer: B, ...b }, out: { buffer: C },
          epilogue: { kind: 'store', accumulate: true },
        });
        g.run([acc]);
        expectClose(await C.read(), want.map((w, i) => prior[i] - 0.5 * w), tolFor(k), 'C += alpha·AB');
        for (const t of [A, B, C]) t.destroy();
      });
    }
  }

  const epilogueCases = DUAL_VARIANTS.flatMap(([variant, tile]) => (['identity', 'relu', 'tanh', 'gelu'] as ActivationName[])
    .flatMap((act) => [1, 3].map((splitK) => ({ variant, tile, act, splitK }))));
  for (const { variant, tile, act, splitK } of epilogueCases) {
    it(`${variant}: layer epilogue (bias + ${act}) and gate epilogue, dual${splitK > 1 ? `, K split ${splitK} ways` : ''}`, async () => {
      const g = gpu();
      const [m, n, k] = [33, 70, 257];
      // Forward layer: z = h Wᵀ + b, ż = ḣ Wᵀ + h Vᵀ + c; params hold W (n×k) then b.
      const h = randomNormal(m * k, seed + 10);
      const hd = randomNormal(m * k, seed + 11);
      const params = randomNormal(n * k + n, seed + 12, 0.1);
      const v = randomNormal(n * k + n, seed + 13, 0.1);
      const H = Tensor.create(g, [m * k], { data: h });
      const Hd = Tensor.create(g, [m * k], { data: hd });
      const P = Tensor.create(g, [params.length], { data: params });
      const V = Tensor.create(g, [v.length], { data: v });
      const out = Tensor.create(g, [2 * m * n], { fill: NaN });
      const outDot = Tensor.create(g, [2 * m * n], { fill: NaN });
      const layer = await prepareMatmul(g, {
        m, n, k, tile, splitK,
        a: { buffer: H, dot: Hd },
        b: { buffer: P, transpose: true, dot: V },
        out: { buffer: out, offset: m * n, dot: outDot },
        epilogue: { kind: 'layer', activation: act, biasOffset: n * k, zOffset: 0 },
      });
      g.run([layer]);
      const hw = refMatmul(m, n, k, { data: h, ld: k }, { data: params, ld: k, transpose: true });
      const hdw = refMatmul(m, n, k, { data: hd, ld: k }, { data: params, ld: k, transpose: true });
      const hv = refMatmul(m, n, k, { data: h, ld: k }, { data: v, ld: k, transpose: true });
      const z = hw.map((x, i) => x + params[n * k + (i % n)]);
      const zd = hdw.map((x, i) => x + hv[i] + v[n * k + (i % n)]);
      const gotOut = await out.read();
      const gotDot = await outDot.read();
      expectClose(gotOut.subarray(0, m * n), z, tolFor(k), 'z');
      expectClose(gotOut.subarray(m * n), refActivate(act, z, 0), tolFor(k), 'act(z)');
      expectClose(gotDot.subarray(0, m * n), zd, tolFor(k), 'ż');
      expectClose(gotDot.subarray(m * n), refActivate(act, z, 1).map((d, i) => d * zd[i]), tolFor(k), "act'(z)ż");

      // Gate (backward): P = δ W, Ṗ = δ̇ W + δ V; out = P⊙act'(z), out_dot = Ṗ⊙act'(z) + P⊙act''(z)⊙ż.
      const d = randomNormal(m * n, seed + 14);
      const dd = randomNormal(m * n, seed + 15);
      const D = Tensor.create(g, [m * n], { data: d });
      const Dd = Tensor.create(g, [m * n], { data: dd });
      const zk = randomNormal(m * k, seed + 16);
      const zkd = randomNormal(m * k, seed + 17);
      const Z = Tensor.create(g, [m * k], { data: zk });
      const Zd = Tensor.create(g, [m * k], { data: zkd });
      const gate = Tensor.create(g, [m * k], { fill: NaN });
      const gateDot = Tensor.create(g, [m * k], { fill: NaN });
      const back = await prepareMatmul(g, {
        m, n: k, k: n, tile, splitK,
        a: { buffer: D, dot: Dd },
        b: { buffer: P, dot: V },
        out: { buffer: gate, dot: gateDot },
        epilogue: { kind: 'gate', activation: act, aux: Z, auxDot: Zd, zOffset: 0 },
      });
      g.run([back]);
      const p = refMatmul(m, k, n, { data: d, ld: n }, { data: params, ld: k });
      const pd1 = refMatmul(m, k, n, { data: dd, ld: n }, { data: params, ld: k });
      const pd2 = refMatmul(m, k, n, { data: d, ld: n }, { data: v, ld: k });
      const g1 = refActivate(act, zk, 1);
      const g2 = refActivate(act, zk, 2);
      expectClose(await gate.read(), p.map((x, i) => x * g1[i]), tolFor(n), 'gate');
      expectClose(await gateDot.read(), p.map((x, i) => (pd1[i] + pd2[i]) * g1[i] + x * g2[i] * zkd[i]), tolFor(n), 'gate tangent');
      for (const t of [H, Hd, P, V, out, outDot, D, Dd, Z, Zd, gate, gateDot]) t.destroy();
    });
  }

  for (const [variant, tile, splitK] of DUAL_VARIANTS.flatMap(([v, t]) => [1, 4].map((sk) => [v, t, sk] as const))) it(`${variant}: dual store with one tangent (Ȧ only), accumulate, primal skipped${splitK > 1 ? `, K split ${splitK} ways` : ''}`, async () => {
    const g = gpu();
    const [m, n, k] = [7, 257, 33];
    const a = randomNormal(k * m, seed + 20);
    const ad = randomNormal(k * m, seed + 21);
    const b = randomNormal(k * n, seed + 22);
    const A = Tensor.create(g, [k * m], { data: a });
    const Ad = Tensor.create(g, [k * m], { data: ad });
    const B = Tensor.create(g, [k * n], { data: b });
    const C = Tensor.create(g, [m * n], { fill: NaN });
    const Cd = Tensor.create(g, [m * n], { fill: 0 });
    const gradW = await prepareMatmul(g, {
      m, n, k, tile, splitK, a: { buffer: A, transpose: true, dot: Ad }, b: { buffer: B },
      out: { buffer: C, dot: Cd }, epilogue: { kind: 'store', accumulate: true, storePrimal: false },
    });
    g.run([gradW, gradW]);
    const want = refMatmul(m, n, k, { data: ad, ld: m, transpose: true }, { data: b, ld: n });
    expectClose(await Cd.read(), want.map((x) => 2 * x), tolFor(k), 'Ċ accumulated twice');
    expect([...(await C.read())].every(Number.isNaN)).toBe(true);
    for (const t of [A, Ad, B, C, Cd]) t.destroy();
  });

  const overrides: [MatmulTile, boolean][] = [
    [{ wgM: 8, wgN: 8, tileK: 8 }, false], [{ wgM: 16, wgN: 8, tileK: 16 }, false], [{ wgM: 8, wgN: 32, tileK: 4 }, false],
    [{ variant: 'direct', wgM: 1, wgN: 4, tileK: 1 }, true], [{ variant: 'direct', wgM: 1, wgN: 64, tileK: 1 }, false],
    [{ variant: 'direct', rows: 4, wgM: 1, wgN: 4, tileK: 1 }, true], [{ variant: 'direct', rows: 3, wgM: 1, wgN: 16, tileK: 1 }, false],
  ];
  for (const [tile, vec] of overrides) {
    it(`tile override ${describeTile(tile)} (dual, transposed A${vec ? ', vec4 B' : ''})`, async () => {
      const g = gpu();
      const [m, n, k] = [33, vec ? 72 : 70, 57];
      const a = operand(m, k, true, seed + 30, vec);
      const ad = operand(m, k, true, seed + 31, vec);
      const b = operand(k, n, false, seed + 32, vec);
      const bd = operand(k, n, false, seed + 33, vec);
      const T = (x: Float32Array) => Tensor.create(g, [x.length], { data: x });
      const [A, Ad, B, Bd] = [T(a.data), T(ad.data), T(b.data), T(bd.data)];
      const C = Tensor.create(g, [m * n], { fill: NaN });
      const Cd = Tensor.create(g, [m * n], { fill: NaN });
      g.run([await prepareMatmul(g, {
        m, n, k, tile, a: { buffer: A, ...a, dot: Ad }, b: { buffer: B, ...b, dot: Bd }, out: { buffer: C, dot: Cd },
      })]);
      expectClose(await C.read(), refMatmul(m, n, k, a, b), tolFor(k), 'C');
      const viaB = refMatmul(m, n, k, a, bd);
      const want = refMatmul(m, n, k, ad, b).map((x, i) => x + viaB[i]);
      expectClose(await Cd.read(), want, tolFor(k), 'Ċ');
      for (const t of [A, Ad, B, Bd, C, Cd]) t.destroy();
    });
  }

  for (const [variant, tile] of VARIANTS) {
    it(`${variant}: split K is bit-identical run to run and matches the reference and the unsplit product (weight-gradient TN shape)`, async () => {
      const g = gpu();
      // ∇W = δᵀ h over a chunk: the output is small, K (rows) long.
      const [m, n, k] = [10, 64, 2048];
      const a = operand(m, k, true, seed + 40);
      const b = operand(k, n, false, seed + 41);
      const prior = randomNormal(m * n, seed + 42);
      const A = Tensor.create(g, [a.data.length], { data: a.data });
      const B = Tensor.create(g, [b.data.length], { data: b.data });
      const C = Tensor.create(g, [m * n], { fill: NaN });
      const want = refMatmul(m, n, k, a, b).map((x, i) => prior[i] + 0.25 * x);
      const runs: Float32Array[] = [];
      for (const splitK of [5, 5, 1]) {
        C.write(prior);
        g.run([await prepareMatmul(g, {
          m, n, k, tile, splitK, alpha: 0.25, a: { buffer: A, ...a }, b: { buffer: B, ...b }, out: { buffer: C },
          epilogue: { kind: 'store', accumulate: true },
        })]);
        runs.push(Float32Array.from(await C.read()));
        expectClose(runs.at(-1)!, want, tolFor(k), `C += αAB, K split ${splitK} ways`);
      }
      expect(Buffer.from(runs[1].buffer).equals(Buffer.from(runs[0].buffer))).toBe(true);
      expectClose(runs[0], runs[2], tolFor(k), 'split vs unsplit');
      for (const t of [A, B, C]) t.destroy();
    });
  }

  it('every tile gives the same bits: the K splits, planned from the shape alone, fix the summation order (dual, gate epilogue)', async () => {
    const g = gpu();
    // Long K and a small output: the shipped plan splits it on the CPU adapters.
    const [m, n, k] = [10, 33, 1031];
    const T = (x: Float32Array) => Tensor.create(g, [x.length], { data: x });
    const [D, Dd, P, V] = [T(randomNormal(k * m, seed + 50)), T(randomNormal(k * m, seed + 51)), T(randomNormal(k * n, seed + 52)), T(randomNormal(k * n, seed + 53))];
    const [Z, Zd] = [T(randomNormal(m * n, seed + 54)), T(randomNormal(m * n, seed + 55))];
    const tiles: (MatmulTile | undefined)[] = [
      undefined, { wgM: 8, wgN: 8, tileK: 16 }, { wgM: 4, wgN: 16, tileK: 7 },
      { variant: 'direct', wgM: 1, wgN: 8, tileK: 1 }, { variant: 'direct', rows: 4, wgM: 1, wgN: 32, tileK: 1 }, { variant: 'direct', rows: 1, wgM: 1, wgN: 4, tileK: 1 },
    ];
    for (const splitK of [undefined, 3]) {
      const prints: string[] = [];
      for (const tile of tiles) {
        const C = Tensor.create(g, [m * n], { fill: NaN });
        const Cd = Tensor.create(g, [m * n], { fill: NaN });
        g.run([await prepareMatmul(g, {
          m, n, k, tile, splitK, a: { buffer: D, transpose: true, dot: Dd }, b: { buffer: P, dot: V }, out: { buffer: C, dot: Cd },
          epilogue: { kind: 'gate', activation: 'gelu', aux: Z, auxDot: Zd, zOffset: 0 },
        })]);
        const [c, cd] = [await C.read(), await Cd.read()];
        expect(c.every(Number.isFinite) && cd.every(Number.isFinite)).toBe(true);
        prints.push(Buffer.from(c.buffer).toString('hex') + Buffer.from(cd.buffer).toString('hex'));
        C.destroy(); Cd.destroy();
      }
      expect(new Set(prints).size, `tiles ${tiles.map((t) => (t ? describeTile(t) : 'table')).join(', ')}, splitK ${splitK ?? 'planned'}`).toBe(1);
    }
    for (const t of [D, Dd, P, V, Z, Zd]) t.destroy();
  });

  it('refuses tiles over the device limits, naming the limit and the tile', async () => {
    const g = gpu();
    const A = Tensor.create(g, [64]);
    const C = Tensor.create(g, [64]);
    const mm = (tile: MatmulTile) => prepareMatmul(g, { m: 8, n: 8, k: 8, tile, a: { buffer: A }, b: { buffer: A }, out: { buffer: C } });
    const lim = g.limits;
    const side = 2 ** Math.ceil(Math.log2(Math.sqrt(lim.maxComputeInvocationsPerWorkgroup) + 1));
    await expect(mm({ wgM: side, wgN: side, tileK: 1 })).rejects.toThrow(LimitError);
    await expect(mm({ wgM: side, wgN: side, tileK: 1 })).rejects.toThrow(new RegExp(`tile ${side}×${side}×1 \\(given by the caller\\) needs invocations ${side * side} but this device's maxComputeInvocationsPerWorkgroup is ${lim.maxComputeInvocationsPerWorkgroup}`));
    const deep = Math.ceil(lim.maxComputeWorkgroupStorageSize / (4 * 2 * 33)) + 1;
    await expect(mm({ wgM: 8, wgN: 8, tileK: deep })).rejects.toThrow(/maxComputeWorkgroupStorageSize/);
    await expect(mm({ variant: 'direct', wgM: 1, wgN: lim.maxComputeWorkgroupSizeX + 1, tileK: 1 })).rejects.toThrow(/maxComputeWorkgroupSizeX/);
    await expect(mm({ variant: 'direct', wgM: 2, wgN: 8, tileK: 1 })).rejects.toThrow(/use wgM = 1 and tileK = 1/);
    await expect(mm({ variant: 'direct', rows: 9, wgM: 1, wgN: 8, tileK: 1 })).rejects.toThrow(/rows = 9 .* from 1 to 8/);
    await expect(mm({ rows: 4, wgM: 8, wgN: 8, tileK: 8 })).rejects.toThrow(/direct variant only/);
    for (const t of [A, C]) t.destroy();
  });

  it('rejects mismatched shapes with a message naming the operand', async () => {
    const g = gpu();
    const A = Tensor.create(g, [6 * 4], { label: 'acts' });
    const B = Tensor.create(g, [3 * 3], { label: 'weights' });
    const C = Tensor.create(g, [6 * 3]);
    await expect(prepareMatmul(g, { m: 6, n: 3, k: 4, a: { buffer: A }, b: { buffer: B }, out: { buffer: C } }))
      .rejects.toThrow(ShapeError);
    await expect(prepareMatmul(g, { m: 6, n: 3, k: 4, a: { buffer: A }, b: { buffer: B }, out: { buffer: C } }))
      .rejects.toThrow(/B 'weights' needs elements \[0, 12\) but holds 9/);
    await expect(prepareMatmul(g, { m: 6, n: 3, k: 5, a: { buffer: A }, b: { buffer: B }, out: { buffer: C } }))
      .rejects.toThrow(/A 'acts' needs elements \[0, 30\) but holds 24/);
    await expect(prepareMatmul(g, { m: 6, n: 3, k: 0, a: { buffer: A }, b: { buffer: B }, out: { buffer: C } }))
      .rejects.toThrow(/k = 0 must be a positive integer/);
    for (const t of [A, B, C]) t.destroy();
  });
});
