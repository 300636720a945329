// GPU checks and benchmarks of the 1-D and sliced Wasserstein kernels (native/cuda/quantile_walk.cu,
// oned.cu, sliced.cu), imported by run-gpu-checks.mjs: each case runs the addon's export twice, once with
// the samples as CudaBuffers (the CUDA Job) and once with host arrays (the CPU Job), and compares values
// and gradients; then the public API on cuda tensors against the same calls on CPU tensors. Tolerances
// (max |gpu - cpu| / max |cpu|): both walk in double and differ only in the order of the cumulative sums.
// A piece's mass is a difference of two cumulative sums near the total, so each carries ~1e-16 of the
// total as absolute error: over N = n + m pieces the value moves by up to ~N·1e-16 relative (1.2e-10 was
// seen on an H200 at N = 350,000) and one atom's gradient by more. Hence values 1e-9 and gradients 1e-8
// (float64 and float32 inputs alike: the walk is double), 100x under the library's 1e-7 against POT;
// float32 gradients 2e-6 (rounded to float32 from the same double sums).
import { performance } from 'node:perf_hooks';
import { rng } from './reference.mjs';

const TOL = {
  float64: { value: 1e-9, grad: 1e-8, publicValue: 1e-9 },
  // The public API's values are float32 tensors: one rounding of the double value each side.
  float32: { value: 1e-9, grad: 2e-6, publicValue: 2e-7 },
};

const as = (dtype, arr) => (dtype === 'float32' ? Float32Array.from(arr) : Float64Array.from(arr));

function randArray(r, len, lo = 0, hi = 1) {
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) out[i] = lo + (hi - lo) * r();
  return out;
}
// Integer positions: many exact ties, which the stable sorts must order alike.
function randInts(r, len, hi) {
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) out[i] = Math.floor(r() * hi);
  return out;
}
// Weights in [0.2, 1) with every fifth one zero when `zeros` (atoms the walk must skip without harm).
function randWeights(r, len, zeros = false) {
  const w = randArray(r, len, 0.2, 1);
  if (zeros) for (let i = 0; i < len; i += 5) w[i] = 0;
  return w;
}

const down = (cu, b) => (b == null ? b : cu.cudaDownload(b));
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
// One warm-up call, then the median of `reps` timed calls and the first (cold) one, in seconds.
async function timed(fn, reps) {
  const t0 = performance.now();
  await fn();
  const cold = (performance.now() - t0) / 1000;
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ts.push((performance.now() - t) / 1000);
  }
  return { medianS: median(ts), coldS: cold };
}

// ---------------------------------------------------------------- wasserstein1d

// [n, m, k, p, weights ('none' | 'column' | 'shared' | 'zeros'), positions ('uniform' | 'ties' | 'equal')]
const W1D_CASES = [
  [1, 1, 1, 2, 'none', 'uniform'],
  [1, 7, 3, 1, 'column', 'uniform'],
  [9, 1, 2, 1.5, 'shared', 'uniform'],
  [5, 3, 1, 2, 'none', 'uniform'],
  [64, 64, 1, 2, 'none', 'uniform'],
  [100, 37, 4, 1, 'column', 'uniform'],
  [100, 37, 4, 1.5, 'shared', 'uniform'],
  [257, 257, 16, 2, 'none', 'ties'],
  [1000, 1500, 1, 3, 'zeros', 'uniform'],
  [2048, 4096, 2, 2, 'none', 'uniform'],
  [4096, 3000, 8, 1, 'column', 'ties'],
  [3000, 1, 2, 2, 'none', 'uniform'],
  [1, 5000, 1, 1.5, 'none', 'uniform'],
  [500, 400, 3, 2, 'shared', 'equal'],
  [30000, 20000, 2, 1.5, 'column', 'uniform'],
  [200000, 150000, 1, 2, 'none', 'uniform'],
];

function w1dInputs(r, dtype, [n, m, k, , weights, positions]) {
  const pos = (len) => (positions === 'ties' ? randInts(r, len, 20) : positions === 'equal' ? new Float64Array(len).fill(0.5) : randArray(r, len, -2, 3));
  const u = as(dtype, pos(n * k));
  const v = as(dtype, pos(m * k));
  let uw = null;
  let vw = null;
  if (weights === 'column') [uw, vw] = [as(dtype, randWeights(r, n * k)), as(dtype, randWeights(r, m * k))];
  if (weights === 'shared') [uw, vw] = [as(dtype, randWeights(r, n)), as(dtype, randWeights(r, m))];
  if (weights === 'zeros') [uw, vw] = [as(dtype, randWeights(r, n * k, true)), as(dtype, randWeights(r, m * k, true))];
  return { u, v, uw, vw };
}

async function w1dChecks(cu, check) {
  const r = rng(1201);
  for (const dtype of ['float64', 'float32']) {
    const tol = TOL[dtype];
    for (const c of W1D_CASES) {
      const [n, m, k, p, weights, positions] = c;
      await check('oned', `wasserstein1d ${n}x${m} k=${k} p=${p} ${weights} ${positions}`, dtype, async () => {
        const { u, v, uw, vw } = w1dInputs(r, dtype, c);
        const head = { n, m, k, p, needU: true, needV: true };
        const want = cu.wasserstein1d({ ...head, u, v, uWeights: uw, vWeights: vw });
        const up = (x) => x && cu.cudaUpload(x);
        const got = cu.wasserstein1d({ ...head, u: up(u), v: up(v), uWeights: up(uw), vWeights: up(vw) });
        return [
          { what: 'gradU is a CudaBuffer', pass: got.gradU instanceof cu.CudaBuffer },
          { what: 'value', got: got.value, want: want.value, tol: tol.value },
          { what: 'gradU', got: down(cu, got.gradU), want: want.gradU, tol: tol.grad },
          { what: 'gradV', got: down(cu, got.gradV), want: want.gradV, tol: tol.grad },
        ];
      });
    }
  }
  await check('oned', 'wasserstein1d: host v and weights, no gradients, async twin', 'float64', async () => {
    const [n, m, k] = [300, 200, 3];
    const u = randArray(r, n * k);
    const v = randArray(r, m * k);
    const uw = randWeights(r, n);
    const head = { n, m, k, p: 2, needU: false, needV: false };
    const want = cu.wasserstein1d({ ...head, u, v, uWeights: uw, vWeights: null });
    const got = await cu.wasserstein1dAsync({ ...head, u: cu.cudaUpload(u), v, uWeights: uw, vWeights: null });
    return [
      { what: 'value', got: got.value, want: want.value, tol: TOL.float64.value },
      { what: 'no gradients', pass: got.gradU === null && got.gradV === null },
    ];
  });
  await check('oned', 'wasserstein1d: the cancel flag aborts the async twin', 'float64', async () => {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    cancel[0] = 1;
    const u = cu.cudaUpload(randArray(r, 1000));
    const res = await expectErrorOf(cu.wasserstein1dAsync({ u, v: randArray(r, 900), n: 1000, m: 900, k: 1, p: 1, needU: true, needV: false, cancel }));
    return [{ what: 'ERR_OT_ABORTED', pass: res.code === 'ERR_OT_ABORTED', note: res.note }];
  });
  await check('oned', 'wasserstein1d: bad inputs are errors on the GPU path too', 'float64', async () => {
    const u = cu.cudaUpload(Float64Array.from([0, 1, 2]));
    const head = { n: 3, m: 2, k: 1, p: 1, needU: false, needV: false };
    const freed = cu.cudaUpload(Float64Array.from([0, 1, 2]));
    freed.free();
    // Each is an error of the CPU Job; the GPU Job must raise the same code.
    const cases = [
      ['v of the other dtype', { ...head, u, v: Float32Array.from([0, 1]) }],
      ['v of the wrong length', { ...head, u, v: Float64Array.from([0, 1, 2]) }],
      ['negative host weights', { ...head, u, v: Float64Array.from([0, 1]), uWeights: Float64Array.from([1, -1, 1]) }],
      ['p < 1', { ...head, u, v: Float64Array.from([0, 1]), p: 0.5 }],
      ['non-finite host v', { ...head, u, v: Float64Array.from([0, NaN]) }],
      ['an empty u', { ...head, n: 0, u: cu.cudaUpload(new Float64Array(0)), v: Float64Array.from([0, 1]) }],
    ];
    const parts = [];
    for (const [what, o] of cases) {
      const cpu = await expectErrorOf(() => cu.wasserstein1d({ ...o, u: new Float64Array(o.n) }));
      const gpu = await expectErrorOf(() => cu.wasserstein1d(o));
      parts.push({ what: `${what}: ${cpu.code} as the CPU Job`, pass: cpu.code != null && gpu.code === cpu.code, note: `gpu ${gpu.note} | cpu ${cpu.note}` });
    }
    const gone = await expectErrorOf(() => cu.wasserstein1d({ ...head, u: freed, v: Float64Array.from([0, 1]) }));
    parts.push({ what: 'a freed buffer: ERR_OT_ARG', pass: gone.code === 'ERR_OT_ARG', note: gone.note });
    return parts;
  });
}

// ---------------------------------------------------------------- sliced

// [n, m, d, k, p, weighted]
const SLICED_CASES = [
  [1, 1, 1, 1, 2, false],
  [2, 3, 2, 5, 1, true],
  [100, 70, 3, 50, 2, false],
  [100, 70, 3, 50, 1.5, true],
  [33, 1000, 5, 7, 1, false],
  [1000, 33, 5, 7, 3, true],
  [5000, 4000, 20, 200, 2, false],
];

function unitColumns(r, d, k) {
  const P = randArray(r, d * k, -1, 1);
  for (let l = 0; l < k; l++) {
    let s = 0;
    for (let e = 0; e < d; e++) s += P[e * k + l] ** 2;
    for (let e = 0; e < d; e++) P[e * k + l] /= Math.sqrt(s);
  }
  return P;
}

async function slicedChecks(cu, check) {
  const r = rng(1301);
  for (const dtype of ['float64', 'float32']) {
    const tol = TOL[dtype];
    for (const [n, m, d, k, p, weighted] of SLICED_CASES) {
      for (const grad of ['mean', 'max']) {
        await check('sliced', `${grad} ${n}x${m} d=${d} k=${k} p=${p}${weighted ? ' weighted' : ''}`, dtype, async () => {
          const xS = as(dtype, randArray(r, n * d, -1, 1));
          const xT = as(dtype, randArray(r, m * d, 0, 2));
          const P = as(dtype, unitColumns(r, d, k));
          const a = weighted ? as(dtype, randWeights(r, n)) : null;
          const b = weighted ? as(dtype, randWeights(r, m)) : null;
          const head = { n, m, d, k, p, grad, needS: true, needT: true };
          const want = cu.slicedWasserstein({ ...head, xS, xT, a, b, projections: P });
          const up = (x) => x && cu.cudaUpload(x);
          const got = cu.slicedWasserstein({ ...head, xS: up(xS), xT: up(xT), a: up(a), b: up(b), projections: up(P) });
          return [
            { what: 'gradS is a CudaBuffer', pass: got.gradS instanceof cu.CudaBuffer },
            { what: `argMax ${got.argMax} vs ${want.argMax}`, pass: got.argMax === want.argMax || Math.abs(want.projected[got.argMax] - want.projected[want.argMax]) <= 1e-12 * want.projected[want.argMax] },
            { what: 'value', got: got.value, want: want.value, tol: tol.value },
            { what: 'maxValue', got: got.maxValue, want: want.maxValue, tol: tol.value },
            { what: 'projected', got: got.projected, want: want.projected, tol: tol.value },
            { what: 'gradS', got: down(cu, got.gradS), want: want.gradS, tol: tol.grad },
            { what: 'gradT', got: down(cu, got.gradT), want: want.gradT, tol: tol.grad },
          ];
        });
      }
    }
  }
  await check('sliced', 'identical samples: value 0, gradients 0 (no NaN from the root)', 'float64', async () => {
    const [n, d, k] = [50, 3, 10];
    const x = randArray(r, n * d);
    const P = unitColumns(r, d, k);
    const got = cu.slicedWasserstein({ xS: cu.cudaUpload(x), xT: x, a: null, b: null, projections: P, n, m: n, d, k, p: 2, grad: 'mean', needS: true, needT: false });
    const g = cu.cudaDownload(got.gradS);
    return [
      { what: 'value 0', pass: got.value === 0, note: String(got.value) },
      { what: 'gradS all 0', pass: g.every((x) => x === 0) },
      { what: 'gradT not asked', pass: got.gradT === null },
    ];
  });
  await check('sliced', 'empty xS: the CPU Job\'s error', 'float64', async () => {
    const head = { n: 0, m: 2, d: 1, k: 1, p: 2, grad: 'mean', needS: true, needT: true, a: null, b: null, projections: Float64Array.from([1]), xT: Float64Array.from([0, 1]) };
    const cpu = await expectErrorOf(() => cu.slicedWasserstein({ ...head, xS: new Float64Array(0) }));
    const gpu = await expectErrorOf(() => cu.slicedWasserstein({ ...head, xS: cu.cudaUpload(new Float64Array(0)) }));
    return [{ what: `${cpu.code} as the CPU Job`, pass: cpu.code != null && gpu.code === cpu.code, note: `gpu ${gpu.note} | cpu ${cpu.note}` }];
  });
  await check('sliced', "grad 'none' and the async twin", 'float32', async () => {
    const [n, m, d, k] = [400, 300, 4, 32];
    const xS = as('float32', randArray(r, n * d));
    const xT = as('float32', randArray(r, m * d));
    const P = as('float32', unitColumns(r, d, k));
    const head = { n, m, d, k, p: 2, grad: 'none', needS: true, needT: true, a: null, b: null, projections: P };
    const want = cu.slicedWasserstein({ ...head, xS, xT });
    const got = await cu.slicedWassersteinAsync({ ...head, xS: cu.cudaUpload(xS), xT: cu.cudaUpload(xT) });
    return [
      { what: 'value', got: got.value, want: want.value, tol: TOL.float32.value },
      { what: 'no gradients', pass: got.gradS === null && got.gradT === null },
    ];
  });
}

// ---------------------------------------------------------------- public API

async function publicChecks(lib, check) {
  if (!lib?.wasserstein1d || !lib.backend?.().cuda) {
    await check('oned', 'public API', '-', async () => [{ what: 'library build with CUDA', pass: false, note: 'run npm run build with the CUDA addon' }]);
    return;
  }
  const r = rng(1401);
  await check('oned', 'public: empty and degenerate samples give the CPU results or errors', 'float64', async () => {
    const err = async (dev) => (await expectErrorOf(() => lib.wasserstein1d(lib.tensor(new Float64Array(0), { device: dev }), lib.tensor([1, 2], { device: dev })))).code;
    const one = (dev) => lib.wasserstein1d(lib.tensor([0.25], { device: dev }), lib.tensor([1, 2, 3], { device: dev }), { p: 2 }).item();
    const same = (dev) => lib.slicedWassersteinDistance(lib.tensor([[1, 2], [1, 2]], { device: dev }), lib.tensor([[1, 2]], { device: dev }), { nProjections: 5, seed: 1 }).item();
    const [ec, eg] = [await err('cpu'), await err('cuda')];
    return [
      { what: `empty u: ${ec} on both devices`, pass: ec != null && ec === eg, note: `cpu ${ec} gpu ${eg}` },
      { what: 'one atom against three', got: one('cuda'), want: one('cpu'), tol: TOL.float64.value },
      { what: 'identical points: sliced distance 0', pass: same('cuda') === 0 && same('cpu') === 0 },
    ];
  });
  for (const dtype of ['float64', 'float32']) {
    const tol = TOL[dtype];
    await check('oned', 'public wasserstein1d [n, k] with weights -> backward', dtype, async () => {
      const [n, m, k] = [700, 500, 3];
      const uv = as(dtype, randArray(r, n * k));
      const vv = as(dtype, randArray(r, m * k, 0.5, 1.5));
      const w = as(dtype, randWeights(r, n));
      const u = lib.tensor(uv, { shape: [n, k], requiresGrad: true });
      const v = lib.tensor(vv, { shape: [m, k], requiresGrad: true });
      const ug = lib.tensor(uv, { shape: [n, k], requiresGrad: true, device: 'cuda' });
      const vg = lib.tensor(vv, { shape: [m, k], requiresGrad: true, device: 'cuda' });
      const res = lib.wasserstein1d(u, v, { p: 1.5, uWeights: lib.tensor(w) });
      const resg = await lib.wasserstein1dAsync(ug, vg, { p: 1.5, uWeights: lib.tensor(w, { device: 'cuda' }) });
      res.sum().backward();
      resg.sum().backward();
      return [
        { what: 'value and grads are cuda tensors, grads left on the GPU', pass: resg.device === 'cuda' && ug.grad?.device === 'cuda' && ug.grad.hostCopy() === null },
        { what: 'value', got: resg.data, want: res.data, tol: tol.publicValue },
        { what: 'u.grad', got: ug.grad.data, want: u.grad.data, tol: tol.grad },
        { what: 'v.grad', got: vg.grad.data, want: v.grad.data, tol: tol.grad },
      ];
    });
    for (const fnName of ['slicedWassersteinDistance', 'maxSlicedWassersteinDistance']) {
      await check('sliced', `public ${fnName} -> backward`, dtype, async () => {
        const [n, m, d] = [600, 500, 5];
        const sv = as(dtype, randArray(r, n * d));
        const tv = as(dtype, randArray(r, m * d, 0.3, 1.3));
        const s = lib.tensor(sv, { shape: [n, d], requiresGrad: true });
        const t = lib.tensor(tv, { shape: [m, d], requiresGrad: true });
        const sg = lib.tensor(sv, { shape: [n, d], requiresGrad: true, device: 'cuda' });
        const tg = lib.tensor(tv, { shape: [m, d], requiresGrad: true, device: 'cuda' });
        const opts = { nProjections: 64, seed: 3, p: 2 };
        const val = lib[fnName](s, t, opts);
        const valg = lib[fnName](sg, tg, opts);
        val.backward();
        valg.backward();
        return [
          { what: 'grads left on the GPU', pass: valg.device === 'cuda' && sg.grad?.device === 'cuda' && sg.grad.hostCopy() === null },
          { what: 'value', got: valg.item(), want: val.item(), tol: tol.publicValue },
          { what: 'xS.grad', got: sg.grad.data, want: s.grad.data, tol: tol.grad },
          { what: 'xT.grad', got: tg.grad.data, want: t.grad.data, tol: tol.grad },
        ];
      });
    }
  }
}

async function expectErrorOf(promiseOrFn) {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    return { code: e?.code, note: `${e?.code}: ${e?.message}` };
  }
  return { code: null, note: 'no error' };
}

/** The checks: `check(group, name, dtype, fn)` is run-gpu-checks.mjs's recorder. */
export async function onedSlicedChecks(cu, lib, check) {
  await w1dChecks(cu, check);
  await slicedChecks(cu, check);
  await publicChecks(lib, check);
}

/**
 * Benchmarks (GPU median of 5 after a warm-up, inputs already on the GPU; the CPU Job of the same addon
 * on host arrays for context, median of 3): wasserstein1d on 1e6 atoms per side (value only, and with
 * gradU), sliced n = 5000, m = 5000, d = 20, 200 projections (value, and with both gradients).
 */
export async function onedSlicedBenchmarks(cu, safe, small) {
  const r = rng(1501);
  const N = small ? 10000 : 1000000;
  for (const dtype of ['float64', 'float32']) {
    await safe(`wasserstein1d_${N}_${dtype}`, async () => {
      const u = as(dtype, randArray(r, N));
      const v = as(dtype, randArray(r, N, 0.5, 1.5));
      const head = { n: N, m: N, k: 1, p: 2, uWeights: null, vWeights: null, needV: false };
      const [ub, vb] = [cu.cudaUpload(u), cu.cudaUpload(v)];
      const gpu = await timed(() => cu.wasserstein1d({ ...head, u: ub, v: vb, needU: false }), 5);
      const gpuGrad = await timed(() => cu.wasserstein1d({ ...head, u: ub, v: vb, needU: true }), 5);
      const cpu = await timed(() => cu.wasserstein1d({ ...head, u, v, needU: false }), 3);
      const cpuGrad = await timed(() => cu.wasserstein1d({ ...head, u, v, needU: true }), 3);
      ub.free();
      vb.free();
      return {
        n: N, gpuMs: gpu.medianS * 1e3, gpuColdMs: gpu.coldS * 1e3, gpuWithGradMs: gpuGrad.medianS * 1e3,
        cpuMs: cpu.medianS * 1e3, cpuWithGradMs: cpuGrad.medianS * 1e3, speedup: cpu.medianS / gpu.medianS, speedupWithGrad: cpuGrad.medianS / gpuGrad.medianS,
      };
    });
  }
  const [n, d, k] = small ? [500, 20, 20] : [5000, 20, 200];
  for (const dtype of ['float64', 'float32']) {
    await safe(`sliced_${n}x${d}_k${k}_${dtype}`, async () => {
      const xS = as(dtype, randArray(r, n * d));
      const xT = as(dtype, randArray(r, n * d, 0.2, 1.2));
      const P = as(dtype, unitColumns(r, d, k));
      const head = { n, m: n, d, k, p: 2, a: null, b: null };
      const [sb, tb, pb] = [cu.cudaUpload(xS), cu.cudaUpload(xT), cu.cudaUpload(P)];
      const gpu = await timed(() => cu.slicedWasserstein({ ...head, xS: sb, xT: tb, projections: pb, grad: 'none', needS: false, needT: false }), 5);
      const gpuGrad = await timed(() => cu.slicedWasserstein({ ...head, xS: sb, xT: tb, projections: pb, grad: 'mean', needS: true, needT: true }), 5);
      const cpu = await timed(() => cu.slicedWasserstein({ ...head, xS, xT, projections: P, grad: 'none', needS: false, needT: false }), 3);
      const cpuGrad = await timed(() => cu.slicedWasserstein({ ...head, xS, xT, projections: P, grad: 'mean', needS: true, needT: true }), 3);
      sb.free();
      tb.free();
      pb.free();
      return {
        n, m: n, d, k, gpuMs: gpu.medianS * 1e3, gpuColdMs: gpu.coldS * 1e3, gpuWithGradMs: gpuGrad.medianS * 1e3,
        cpuMs: cpu.medianS * 1e3, cpuWithGradMs: cpuGrad.medianS * 1e3, speedup: cpu.medianS / gpu.medianS, speedupWithGrad: cpuGrad.medianS / gpuGrad.medianS,
      };
    });
  }
}
