#!/usr/bin/env node
// GPU checks of the CUDA kernels (npm run test:gpu): each kernel against float64 references (POT fixtures,
// the public CPU ot.dist, and the plain-JS references of ./reference.mjs) on fixtures and random cases,
// the public API end to end on cuda tensors against the same calls on CPU tensors (needs npm run build),
// then benchmarks against the HBM roofline. Prints a table, writes $OUT/gpu-results.json when OUT is set.
// No usable GPU: prints "no GPU: skipped" and exits 0. Flags: --self-test (check the JS references
// against the fixtures; no GPU needed), --no-bench (checks only), --small-bench (tiny benchmark sizes,
// to try the script itself), --only-oned (only the 1-D and sliced checks and benchmarks of ./oned-sliced.mjs).
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { apiOpChecks, largeSolveBench, lazyBench } from './api-ops.mjs';
import { batchSolveRef, distBackwardRef, distRef, dualRef, rng, sinkhornBackwardRef, sinkhornSolveRef } from './reference.mjs';
import { onedSlicedBenchmarks, onedSlicedChecks } from './oned-sliced.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const flags = new Set(process.argv.slice(2));
// --bench-only=PREFIX: no checks, only the benchmarks whose names start with PREFIX (alone in the process,
// so that scripts/gpu-check.sh can read their peak device memory).
const benchOnly = process.argv.find((a) => a.startsWith('--bench-only='))?.slice('--bench-only='.length) ?? null;
const TOL = { float32: 1e-4, float64: 1e-9 };
const METRICS = ['sqeuclidean', 'euclidean', 'cityblock', 'minkowski', 'chebyshev', 'cosine'];

// ---------------------------------------------------------------- loading

async function loadLibrary() {
  try {
    return await import(pathToFileURL(join(root, 'dist', 'index.js')).href);
  } catch {
    return null;
  }
}

// The built library's addon (dist/native.js, the raw binding is not public) when it has the CUDA kernels;
// else the first CUDA build found on disk (a CPU-only prebuilt binary must not hide a CUDA build in build/).
async function loadAddon(lib) {
  const cudaCompiled = (a) => Boolean(a?.backendInfo?.().cudaCompiled);
  const own = lib && (await import(pathToFileURL(join(root, 'dist', 'native.js')).href)).addon;
  if (cudaCompiled(own)) return own;
  const require = createRequire(import.meta.url);
  const candidates = [
    process.env.OT_ADDON_PATH,
    join(root, 'build', 'Release', 'optimal_transport.node'),
    join(root, 'build-cuda', 'Release', 'optimal_transport.node'),
  ].filter(Boolean);
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const a = require(c);
    if (cudaCompiled(a)) return a;
  }
  return own ?? null;
}

const fixture = (name) => JSON.parse(readFileSync(join(root, 'test', 'fixtures', `${name}.json`), 'utf8')).cases;
const flat = (v) => Float64Array.from(Array.isArray(v) ? v.flat(Infinity) : v);
const as = (dtype, arr) => (dtype === 'float32' ? Float32Array.from(arr) : Float64Array.from(arr));
const f64 = (arr) => (arr == null ? arr : Float64Array.from(arr));

function randArray(r, len, lo = 0, hi = 1) {
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) out[i] = lo + (hi - lo) * r();
  return out;
}
function randWeights(r, len) {
  const w = randArray(r, len, 0.2, 1);
  const s = w.reduce((x, y) => x + y, 0);
  return w.map((x) => x / s);
}

/** mean(got - want). */
function meanDiff(got, want) {
  let s = 0;
  for (let i = 0; i < want.length; i++) s += got[i] - want[i];
  return s / want.length;
}

/** max |got - want| / max |want| (NaN or a length mismatch reads as Infinity). */
function relErr(got, want, floor = 0) {
  const g = typeof got === 'number' ? [got] : got;
  const w = typeof want === 'number' ? [want] : want;
  if (!g || !w || g.length !== w.length) return Infinity;
  let scale = floor;
  let worst = 0;
  for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]));
  for (let i = 0; i < w.length; i++) {
    const e = Math.abs(g[i] - w[i]);
    if (!(e <= worst)) worst = e; // NaN propagates
  }
  return Number.isNaN(worst) ? Infinity : worst / Math.max(scale, 1e-300);
}

// ---------------------------------------------------------------- recording

const results = { device: null, checks: [], benchmarks: {}, startedAt: new Date().toISOString() };

/** Runs one check; `fn` returns [{ what, got, want, tol? } | { what, pass, note }]. Never throws. */
async function check(group, name, dtype, fn) {
  const t0 = performance.now();
  try {
    const parts = await fn();
    for (const p of parts) {
      if ('pass' in p) {
        results.checks.push({ group, name, dtype, what: p.what, err: null, tol: null, pass: p.pass, note: p.note ?? '' });
        continue;
      }
      const tol = p.tol ?? TOL[dtype] ?? 1e-9;
      const err = relErr(p.got, p.want, p.scale);
      results.checks.push({ group, name, dtype, what: p.what, err, tol, pass: err <= tol });
    }
  } catch (e) {
    results.checks.push({ group, name, dtype, what: 'run', err: null, tol: null, pass: false, note: `${e?.code ?? ''} ${e?.message ?? e}`.trim() });
  }
  const ms = performance.now() - t0;
  if (ms > 20000) console.error(`  (slow check: ${group} ${name} ${dtype} took ${(ms / 1000).toFixed(1)} s)`);
}

async function expectError(promiseOrFn, code) {
  try {
    const r = typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn;
    await r;
  } catch (e) {
    return { pass: e?.code === code, note: `${e?.code}: ${e?.message}` };
  }
  return { pass: false, note: `no error (expected ${code})` };
}

// ---------------------------------------------------------------- CPU references

/** ot.dist (float64 tensors) with autograd when the library is built, else the JS reference. */
function cpuDist(lib, x, y, G, n, m, d, metric, p, same) {
  if (lib?.dist && lib?.tensor) {
    try {
      const X = lib.tensor(Float64Array.from(x), { shape: [n, d], dtype: 'float64', requiresGrad: true });
      const Y = same ? X : lib.tensor(Float64Array.from(y), { shape: [m, d], dtype: 'float64', requiresGrad: true });
      const opts = metric === 'minkowski' ? { metric, p } : { metric };
      const M = same ? lib.dist(X, opts) : lib.dist(X, Y, opts);
      let gx = null;
      let gy = null;
      if (G) {
        M.mul(lib.tensor(Float64Array.from(G), { shape: [n, m], dtype: 'float64' })).sum().backward();
        gx = Float64Array.from(X.grad.data);
        gy = same ? null : Float64Array.from(Y.grad.data);
      }
      return { M: Float64Array.from(M.data), gx, gy, source: 'ot.dist' };
    } catch {
      // fall through to the JS reference
    }
  }
  const M = distRef(x, y, n, m, d, metric, p, same);
  if (!G) return { M, gx: null, gy: null, source: 'js' };
  const { gx, gy } = distBackwardRef(x, y, G, n, m, d, metric, p, same);
  // With y = x the two halves land on the same tensor.
  return same ? { M, gx: gx.map((g, i) => g + gy[i]), gy: null, source: 'js' } : { M, gx, gy, source: 'js' };
}

// ---------------------------------------------------------------- GPU checks

/**
 * The op's options with its main array (`key`: M, x, X, u) on the GPU: each op has one export, which runs
 * its CUDA Job when that array is a CudaBuffer (a host array there runs the CPU Job). The other arrays
 * may stay on the host (the CUDA Job uploads them).
 */
function mainOnGpu(cu, o, key) {
  return ArrayBuffer.isView(o[key]) ? { ...o, [key]: cu.cudaUpload(o[key]) } : o;
}

/**
 * The kernels with their results copied back to the host: the exports take the CPU bindings' options
 * objects and keep large results on the GPU (CudaBuffers), the checks compare host arrays. `history`
 * stays a CudaBuffer (the backward's input); historyHost is its copy.
 */
function hostForms(cu) {
  const dl = (b) => (b == null ? null : cu.cudaDownload(b));
  const x = (o) => mainOnGpu(cu, o, 'x');
  const X = (o) => mainOnGpu(cu, o, 'X');
  const M = (o) => mainOnGpu(cu, o, 'M');
  const solved = (r) => ({ ...r, plan: dl(r.plan), logU: dl(r.logU), logV: dl(r.logV), historyHost: r.history ? dl(r.history) : null });
  const batched = (r, B) => ({ ...r, plan: dl(r.plan), pot0: dl(r.pot0), pot1: dl(r.pot1), value: r.values.subarray(0, B), valueLinear: r.values.subarray(B) });
  const grads = ([dM, da, db]) => ({ dM: dl(dM), da: dl(da), db: dl(db) });
  return {
    dist: (o) => dl(cu.distForward(x(o))),
    distAsync: async (o) => dl(await cu.distForwardAsync(x(o))),
    distBackward: (o) => cu.distBackward(x(o)).map(dl),
    distBackwardAsync: async (o) => (await cu.distBackwardAsync(x(o))).map(dl),
    distBatch: (o) => dl(cu.distBatch(X(o))),
    distBatchAsync: async (o) => dl(await cu.distBatchAsync(X(o))),
    distBatchBackward: (o) => {
      const g = cu.distBatchBackward(X(o));
      return [dl(g.gX), dl(g.gY)];
    },
    solve: (o) => solved(cu.sinkhornSolve(M(o))),
    solveAsync: async (o) => solved(await cu.sinkhornSolveAsync(M(o))),
    backward: (o) => grads(cu.sinkhornBackward(M(o))),
    backwardAsync: async (o) => grads(await cu.sinkhornBackwardAsync(M(o))),
    batch: (o) => batched(cu.solveBatch(M(o)), o.B),
    batchAsync: async (o) => batched(await cu.solveBatchAsync(M(o)), o.B),
  };
}

async function runtimeChecks(cu) {
  for (const [dtype, Arr] of [['float32', Float32Array], ['float64', Float64Array], ['int32', Int32Array], ['uint8', Uint8Array]]) {
    await check('runtime', 'upload/download round trip', dtype, async () => {
      const data = Arr.from({ length: 1001 }, (_, i) => (i * 37) % 251);
      const buf = cu.cudaUpload(data);
      const back = cu.cudaDownload(buf);
      const backAsync = await cu.cudaDownloadAsync(await cu.cudaUploadAsync(data));
      const same = (x) => x.constructor === Arr && x.length === data.length && x.every((v, i) => v === data[i]);
      return [
        { what: 'sync', pass: same(back) && buf.dtype === dtype && buf.length === 1001 },
        { what: 'async', pass: same(backAsync) },
      ];
    });
  }
  await check('runtime', 'cudaAlloc zero-filled', 'float64', async () => {
    const buf = await cu.cudaAllocAsync(777, 'float64');
    const host = cu.cudaDownload(buf);
    buf.free();
    return [
      { what: 'zeros', pass: host.length === 777 && host.every((v) => v === 0) },
      { what: 'freed buffer rejected', ...(await expectError(() => cu.cudaDownload(buf), 'ERR_OT_ARG')) },
    ];
  });
  await check('runtime', 'out of memory is an error, not a crash', 'float64', async () => {
    const oom = await expectError(() => cu.cudaAlloc(2 ** 40, 'float64'), 'ERR_OT_OOM');
    const after = cu.cudaUpload(new Float64Array([1, 2, 3]));
    return [
      { what: 'ERR_OT_OOM', ...oom },
      { what: 'device usable afterwards', pass: cu.cudaDownload(after)[2] === 3 },
    ];
  });
  await check('runtime', "one export per op: M's device picks the Job", 'float64', async () => {
    const M = new Float64Array([0, 1, 1, 0]);
    const w = new Float64Array([0.5, 0.5]);
    const o = { M, a: w, b: w, n: 2, m: 2, reg: 0.5, regType: 'KL', maxIter: 50, tol: 1e-12, record: 'none' };
    const host = cu.sinkhornSolve(o);
    const dev = await cu.sinkhornSolveAsync({ ...o, M: cu.cudaUpload(M) });
    const isBuffer = (b) => typeof b?.free === 'function' && b.dtype === 'float64';
    return [
      { what: 'host M: CPU plan (typed array)', pass: host.plan instanceof Float64Array },
      { what: 'CudaBuffer M: GPU plan (CudaBuffer)', pass: isBuffer(dev.plan) },
      { what: 'same plan', got: cu.cudaDownload(dev.plan), want: host.plan },
    ];
  });
  await check('runtime', 'OT_DEVICE=cpu hides the GPU', 'float64', async () => {
    const saved = process.env.OT_DEVICE;
    process.env.OT_DEVICE = 'cpu';
    try {
      return [
        { what: 'cudaAvailable false', pass: cu.cudaAvailable() === false },
        { what: 'ERR_OT_DEVICE', ...(await expectError(() => cu.cudaUpload(new Float32Array(2)), 'ERR_OT_DEVICE')) },
      ];
    } finally {
      if (saved === undefined) delete process.env.OT_DEVICE;
      else process.env.OT_DEVICE = saved;
    }
  });
}

/** Largest Σ_j |G_ij| / |x_i| and Σ_i |G_ij| / |y_j|: the size of the cosine gradient's terms in one dimension. */
function termScales(x, y, G, n, m) {
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += Math.abs(G[i * m + j]);
    sx = Math.max(sx, s / Math.abs(x[i]));
  }
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(G[i * m + j]);
    sy = Math.max(sy, s / Math.abs(y[j]));
  }
  return [sx, sy];
}

async function distChecks(cu, lib) {
  const k = hostForms(cu);
  const head = (x, y, n, m, d, metric, p, same) => ({ x, y, n, m, d, metric, p, same });
  for (const [idx, c] of fixture('dist').entries()) {
    const n = c.x.length;
    const m = c.y.length;
    const d = c.x[0].length;
    const p = c.p ?? 2;
    for (const dtype of ['float64', 'float32']) {
      await check('dist', `fixture ${idx} ${c.metric}${c.metric === 'minkowski' ? ` p=${p}` : ''} ${n}x${m}x${d}`, dtype, async () => {
        const x = as(dtype, flat(c.x));
        const y = as(dtype, flat(c.y));
        const W = as(dtype, flat(c.W));
        const o = head(x, y, n, m, d, c.metric, p, false);
        const M = k.dist(o);
        const [gx, gy] = k.distBackward({ ...o, G: W, needX: true, needY: true });
        // float32 inputs are rounded: compare with the reference on the same rounded inputs.
        const ref = dtype === 'float64' && c.grad_sum_MW?.x
          ? { M: flat(c.M), gx: flat(c.grad_sum_MW.x), gy: flat(c.grad_sum_MW.y) }
          : cpuDist(lib, f64(x), f64(y), f64(W), n, m, d, c.metric, p, false);
        return [
          { what: 'M', got: M, want: dtype === 'float64' ? flat(c.M) : ref.M },
          { what: 'dx', got: gx, want: ref.gx },
          { what: 'dy', got: gy, want: ref.gy },
        ];
      });
    }
  }
  const r = rng(7);
  const shapes = [
    [37, 53, 3, false],
    [130, 70, 20, false],
    [65, 64, 1, false],
    [16, 200, 40, false],
    [50, 50, 5, true],
  ];
  for (const metric of METRICS) {
    for (const p of metric === 'minkowski' ? [1.5, 3] : [2]) {
      for (const [n, m, d, same] of shapes) {
        for (const dtype of ['float64', 'float32']) {
          await check('dist', `random ${metric}${metric === 'minkowski' ? ` p=${p}` : ''} ${n}x${m}x${d}${same ? ' same' : ''}`, dtype, async () => {
            const x = as(dtype, randArray(r, n * d, -1, 1));
            const y = same ? x : as(dtype, randArray(r, m * d, -1, 1));
            const G = as(dtype, randArray(r, n * m, -1, 1));
            const o = head(x, y, n, m, d, metric, p, same);
            const M = k.dist(o);
            const [gx, gy] = k.distBackward({ ...o, G, needX: true, needY: true });
            const ref = cpuDist(lib, f64(x), f64(y), f64(G), n, m, d, metric, p, same);
            const parts = [{ what: `M (${ref.source})`, got: M, want: ref.M }];
            // Cosine in one dimension is 1 - sign(x) sign(y): its gradient is 0 and both sides return rounding
            // noise of terms of size |G| / |x|, so the error is measured against those terms' size.
            const [sx, sy] = metric === 'cosine' && d === 1 ? termScales(x, y, G, n, m) : [0, 0];
            if (same) parts.push({ what: 'dx+dy', got: gx.map((g, i) => g + gy[i]), want: ref.gx, scale: sx });
            else parts.push({ what: 'dx', got: gx, want: ref.gx, scale: sx }, { what: 'dy', got: gy, want: ref.gy, scale: sy });
            return parts;
          });
        }
      }
    }
  }
  await check('dist', 'buffers as inputs and async twins agree with host inputs', 'float32', async () => {
    const n = 300;
    const m = 211;
    const d = 7;
    const x = as('float32', randArray(r, n * d));
    const y = as('float32', randArray(r, m * d));
    const G = as('float32', randArray(r, n * m));
    const o = head(x, y, n, m, d, 'euclidean', 2, false);
    const host = k.dist(o);
    const xb = cu.cudaUpload(x);
    const yb = cu.cudaUpload(y);
    const dev = await k.distAsync({ ...o, x: xb, y: yb });
    const mixed = await k.distAsync({ ...o, y: yb });
    const [gxd] = k.distBackward({ ...o, x: xb, y: yb, G: cu.cudaUpload(G), needX: true, needY: false });
    const [gxh, gyh] = await k.distBackwardAsync({ ...o, G, needX: true, needY: false });
    return [
      { what: 'buffers in', got: dev, want: host, tol: 0 },
      { what: 'async, mixed inputs', got: mixed, want: host, tol: 0 },
      { what: 'backward, buffers in', got: gxd, want: gxh, tol: 0 },
      { what: 'needY=false gives null', pass: gyh === null },
    ];
  });
}

// distBatch's CUDA Jobs loop cuda::dist over the problems: each slice must equal the single-problem kernel exactly.
async function distBatchChecks(cu) {
  const k = hostForms(cu);
  const r = rng(19);
  const [B, n, m, d] = [5, 37, 29, 3];
  for (const [metric, p] of [['sqeuclidean', 2], ['euclidean', 2], ['minkowski', 3], ['minkowski', 1.5]]) {
    for (const dtype of ['float64', 'float32']) {
      await check('dist', `batch ${metric}${metric === 'minkowski' ? ` p=${p}` : ''} B=${B} ${n}x${m}x${d}`, dtype, async () => {
        const X = as(dtype, randArray(r, B * n * d, -1, 1));
        const Y = as(dtype, randArray(r, B * m * d, -1, 1));
        const G = as(dtype, randArray(r, B * n * m, -1, 1));
        const o = { X, Y, B, n, m, d, metric, p };
        const M = k.distBatch(o);
        const [gX, gY] = k.distBatchBackward({ ...o, G, wantX: true, wantY: true });
        const Mdev = await k.distBatchAsync({ ...o, X: cu.cudaUpload(X) });
        const [gXnone, gYdev] = k.distBatchBackward({ ...o, Y: cu.cudaUpload(Y), G: cu.cudaUpload(G), wantX: false, wantY: true });
        const Mself = k.distBatch({ ...o, Y: null, m: n });
        const want = { M: [], gX: [], gY: [], self: [] };
        for (let b = 0; b < B; b++) {
          const x = X.subarray(b * n * d, (b + 1) * n * d);
          const y = Y.subarray(b * m * d, (b + 1) * m * d);
          const one = { x, y, n, m, d, metric, p, same: false };
          want.M.push(...k.dist(one));
          const [gx, gy] = k.distBackward({ ...one, G: G.subarray(b * n * m, (b + 1) * n * m), needX: true, needY: true });
          want.gX.push(...gx);
          want.gY.push(...gy);
          want.self.push(...k.dist({ ...one, y: x, m: n }));
        }
        return [
          { what: 'M = per-problem distForward on the GPU', got: M, want: want.M, tol: 0 },
          { what: 'gX', got: gX, want: want.gX, tol: 0 },
          { what: 'gY', got: gY, want: want.gY, tol: 0 },
          { what: 'buffers in', got: [...Mdev, ...gYdev], want: [...want.M, ...want.gY], tol: 0 },
          { what: 'wantX=false gives no gX', pass: gXnone === null },
          { what: 'Y = null is Y = X', got: Mself, want: want.self, tol: 0 },
        ];
      });
    }
  }
}

const SOLVE = { maxIter: 1000, tol: 1e-9 };

async function sinkhornChecks(cu) {
  const k = hostForms(cu);
  for (const [idx, c] of fixture('solve').entries()) {
    const { n, m, reg } = c;
    const regType = c.reg_type.toLowerCase() === 'kl' ? 'KL' : 'entropy';
    const record = c.grad === 'autodiff' ? 'history' : c.grad === 'last_step' ? 'last_step' : 'none';
    for (const dtype of ['float64', 'float32']) {
      await check('sinkhorn', `fixture ${idx} ${c.reg_type} ${c.grad} ${n}x${m} reg=${reg}`, dtype, async () => {
        const M = as(dtype, flat(c.M));
        const problem = { M, a: flat(c.a), b: flat(c.b), n, m, reg, regType };
        // One call for every record: last_step's schedule (maxIter - 1 detached iterations, one step) runs natively.
        // float32 last_step runs with tol = 0 so its detached run's length (not returned) is known to be maxIter - 1.
        const res = k.solve({ ...problem, ...SOLVE, record, ...(dtype === 'float32' && record === 'last_step' ? { tol: 0 } : {}) });
        const parts = [];
        let ref;
        if (dtype === 'float64') {
          ref = { value: c.value, valueLinear: c.value_linear, plan: flat(c.plan), logU: flat(c.log_u), logV: flat(c.log_v) };
        } else {
          // POT stops on tol = 1e-9, unreachable in float32: compare with a float64 run of the same iterations
          // (last_step: the detached run is assumed to use all maxIter - 1 of them).
          const [M64, a64, b64] = [f64(M), f64(as(dtype, flat(c.a))), f64(as(dtype, flat(c.b)))];
          const iters = record === 'last_step' ? SOLVE.maxIter : res.nIter + 1;
          ref = sinkhornSolveRef(M64, a64, b64, n, m, reg, regType, iters, 0, record);
          parts.push({ what: `nIter ${res.nIter} vs ${ref.nIter}`, pass: res.nIter === ref.nIter });
        }
        for (const w of ['value', 'valueLinear', 'plan']) parts.push({ what: w, got: res[w], want: ref[w] });
        if (dtype === 'float64') {
          parts.push({ what: 'logU', got: res.logU, want: ref.logU }, { what: 'logV', got: res.logV, want: ref.logV });
        } else {
          // The potentials are defined up to a constant (logU + c, logV - c: the same plan). Near the fixed
          // point each float32 iteration repeats the same rounding errors, which add up along that constant:
          // about 1e-4 relative after 1000 unconverged iterations on an H200 (the plan, value and gradients
          // do not move). Compared after removing the mean shift, and the shift itself bounded.
          const shift = meanDiff(res.logU, ref.logU);
          parts.push(
            { what: 'logU (up to the constant)', got: res.logU.map((x) => x - shift), want: ref.logU },
            { what: 'logV (up to the constant)', got: res.logV.map((x) => x + shift), want: ref.logV },
            { what: 'logU (as returned)', got: res.logU, want: ref.logU, tol: 1e-3 },
          );
        }
        if (record !== 'none') {
          const back = { ...problem, history: res.history, iterations: res.iterations, lastStep: record === 'last_step', directTerms: record !== 'last_step', needM: true };
          const gv = k.backward({ ...back, gValue: 1, gValueLinear: 0, gPlan: null, gLogU: null, gLogV: null });
          const gw = k.backward({ ...back, gValue: 0, gValueLinear: 0, gPlan: as(dtype, flat(c.W)), gLogU: null, gLogV: null });
          let want;
          if (dtype === 'float64') {
            want = { v: c.grad_value, w: c.grad_sum_planW };
          } else {
            // The GPU's own packed history, replayed in float64: checks the packing and the split of value's cotangent.
            const [M64, a64, b64] = [f64(M), f64(as(dtype, flat(c.a))), f64(as(dtype, flat(c.b)))];
            const h = { ...back, history: f64(res.historyHost) };
            const rv = sinkhornBackwardRef(M64, a64, b64, n, m, reg, regType, { ...h, gValue: 1, gValueLinear: 0 });
            const rw = sinkhornBackwardRef(M64, a64, b64, n, m, reg, regType, { ...h, gValue: 0, gValueLinear: 0, gPlan: flat(c.W) });
            want = { v: { M: rv.dM, a: rv.da, b: rv.db }, w: { M: rw.dM, a: rw.da, b: rw.db } };
          }
          for (const [tag, got, ref] of [['d value', gv, want.v], ['d <plan,W>', gw, want.w]]) {
            parts.push({ what: `${tag}/dM`, got: got.dM, want: flat(ref.M) });
            if (ref.a) parts.push({ what: `${tag}/da`, got: got.da, want: flat(ref.a) });
            if (ref.b) parts.push({ what: `${tag}/db`, got: got.db, want: flat(ref.b) });
          }
        }
        return parts;
      });
    }
  }

  const r = rng(11);
  const cases = [
    [50, 70, 0.05, 300, 1e-9, 'KL'],
    [128, 96, 0.01, 500, 1e-7, 'entropy'],
    [33, 257, 0.1, 100, 0, 'KL'],
    [1000, 600, 0.05, 30, 0, 'entropy'], // enough rows for the column pass to split them over blocks
  ];
  for (const [n, m, reg, maxIter, tol, regType] of cases) {
    const xs = randArray(r, n * 2);
    const xt = randArray(r, m * 2);
    const M64 = distRef(xs, xt, n, m, 2, 'sqeuclidean', 2, false);
    const a64 = randWeights(r, n);
    const b64 = randWeights(r, m);
    const seeds64 = { gLogU: randArray(r, n, -1, 1), gLogV: randArray(r, m, -1, 1), gPlan: randArray(r, n * m, -1, 1), gValue: 0.3, gValueLinear: 0.7 };
    for (const record of ['history', 'last_step']) {
      for (const dtype of ['float64', 'float32']) {
        await check('sinkhorn', `random ${n}x${m} reg=${reg} maxIter=${maxIter} tol=${tol} ${regType} ${record}`, dtype, async () => {
          const M = as(dtype, M64);
          const [a, b] = [as(dtype, a64), as(dtype, b64)];
          const problem = { M, a: f64(a), b: f64(b), n, m, reg, regType };
          // last_step with tol = 0: the detached run's length (not returned) is then maxIter - 1 on both sides.
          const tolUsed = record === 'last_step' ? 0 : tol;
          const res = k.solve({ ...problem, maxIter, tol: tolUsed, record });
          // float32 is replayed for its own iteration count, so only float64 can disagree on when to stop.
          const iters = dtype === 'float64' || record === 'last_step' ? maxIter : res.nIter + 1;
          const ref = sinkhornSolveRef(f64(M), f64(a), f64(b), n, m, reg, regType, iters, dtype === 'float64' ? tolUsed : 0, record);
          const seeds = { ...seeds64, gLogU: as(dtype, seeds64.gLogU), gLogV: as(dtype, seeds64.gLogV), gPlan: as(dtype, seeds64.gPlan) };
          const lastStep = record === 'last_step';
          const back = { ...problem, history: res.history, iterations: res.iterations, lastStep, directTerms: !lastStep, needM: true };
          const adj = k.backward({ ...back, ...seeds });
          const adjRef = sinkhornBackwardRef(f64(M), f64(a), f64(b), n, m, reg, regType, { ...back, history: f64(res.historyHost), ...seeds64 });
          const noM = k.backward({ ...back, ...seeds, needM: false });
          return [
            { what: `nIter ${res.nIter} vs ${ref.nIter}, status ${res.status} vs ${ref.status}`, pass: res.nIter === ref.nIter && (dtype === 'float32' || res.status === ref.status) },
            { what: `iterations ${res.iterations} vs ${ref.iterations}`, pass: res.iterations === ref.iterations },
            { what: 'history', got: res.historyHost, want: ref.history },
            { what: 'logU', got: res.logU, want: ref.logU },
            { what: 'logV', got: res.logV, want: ref.logV },
            { what: 'plan', got: res.plan, want: ref.plan },
            { what: 'value', got: res.value, want: ref.value },
            { what: 'valueLinear', got: res.valueLinear, want: ref.valueLinear },
            { what: 'adjoint dM', got: adj.dM, want: adjRef.dM },
            { what: 'adjoint da', got: adj.da, want: adjRef.da },
            { what: 'adjoint db', got: adj.db, want: adjRef.db },
            { what: 'needM=false: no dM, same da', pass: noM.dM === null && relErr(noM.da, adj.da) === 0 },
          ];
        });
      }
    }
  }

  await check('sinkhorn', 'buffers as inputs, async twins, uniform weights', 'float32', async () => {
    const n = 300;
    const m = 260;
    const M = as('float32', distRef(randArray(r, n * 3), randArray(r, m * 3), n, m, 3, 'sqeuclidean', 2, false));
    const o = { M, a: null, b: null, n, m, reg: 0.05, regType: 'KL', maxIter: 200, tol: 1e-6, record: 'history' };
    const host = k.solve(o);
    const dev = await k.solveAsync({ ...o, M: cu.cudaUpload(M) });
    const back = { ...o, history: host.history, iterations: host.iterations, lastStep: false, directTerms: true, gValue: 0, gValueLinear: 1, needM: true };
    const adjH = await k.backwardAsync(back);
    const adjD = k.backward({ ...back, M: cu.cudaUpload(M), history: cu.cudaUpload(host.historyHost) });
    const explicit = k.solve({ ...o, a: new Float64Array(n).fill(1 / n), b: as('float32', new Float64Array(m).fill(1 / m)) });
    return [
      { what: 'logU', got: dev.logU, want: host.logU, tol: 0 },
      { what: 'plan', got: dev.plan, want: host.plan, tol: 0 },
      { what: 'history', got: dev.historyHost, want: host.historyHost, tol: 0 },
      { what: 'adjoint dM', got: adjD.dM, want: adjH.dM, tol: 0 },
      { what: 'uniform weights = explicit 1/n (float64 and float32 weights)', got: explicit.plan, want: host.plan, tol: 1e-6 },
      { what: "record 'none' keeps no history", pass: k.solve({ ...o, record: 'none' }).history === undefined },
      { what: 'last_step needs iterations = 1', ...(await expectError(() => k.backward({ ...back, lastStep: true }), 'ERR_OT_ARG')) },
    ];
  });

  await check('sinkhorn', 'cancel flag aborts the async solve', 'float32', async () => {
    const n = 2048;
    const M = as('float32', distRef(randArray(r, n * 2), randArray(r, n * 2), n, n, 2, 'sqeuclidean', 2, false));
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const p = cu.sinkhornSolveAsync({ M: cu.cudaUpload(M), a: null, b: null, n, m: n, reg: 0.01, regType: 'KL', maxIter: 100000, tol: 0, record: 'none', cancel });
    setTimeout(() => Atomics.store(cancel, 0, 1), 50);
    return [{ what: 'ERR_OT_ABORTED', ...(await expectError(p, 'ERR_OT_ABORTED')) }];
  });
}

/** float64 replay of each problem for exactly the iterations the GPU ran on it (float32 never meets tol). */
function batchReplay(M, a, b, B, n, m, reg, regType, iters, solver) {
  const out = { pot0: new Float64Array(B * n), pot1: new Float64Array(B * m), plan: new Float64Array(B * n * m), value: new Float64Array(B), valueLinear: new Float64Array(B) };
  for (let p = 0; p < B; p++) {
    const r = batchSolveRef(M.subarray(p * n * m, (p + 1) * n * m), a.subarray(p * n, (p + 1) * n), b.subarray(p * m, (p + 1) * m), 1, n, m, reg, regType, iters[p] + 1, 0, solver);
    out.pot0.set(r.pot0, p * n);
    out.pot1.set(r.pot1, p * m);
    out.plan.set(r.plan, p * n * m);
    out.value[p] = r.value[0];
    out.valueLinear[p] = r.valueLinear[0];
  }
  return out;
}

const BATCH = { regType: 'entropy', stopRule: 'batch', record: 'none' };

async function batchChecks(cu) {
  const k = hostForms(cu);
  for (const [idx, c] of fixture('batch').entries()) {
    const { B, n, m, reg, solver } = c;
    for (const dtype of ['float64', 'float32']) {
      await check('batch', `fixture ${idx} ${solver} B=${B} ${n}x${m} reg=${reg}`, dtype, async () => {
        const [M, a, b] = [as(dtype, flat(c.M)), as(dtype, flat(c.a)), as(dtype, flat(c.b))];
        const res = k.batch({ ...BATCH, M, a, b, B, n, m, reg, maxIter: 10000, tol: 1e-10, solver });
        if (dtype === 'float64') {
          return [
            { what: 'value', got: res.value, want: c.value },
            { what: 'value_linear', got: res.valueLinear, want: c.value_linear },
            { what: 'plan', got: res.plan, want: flat(c.plan) },
          ];
        }
        const ref = batchReplay(f64(M), f64(a), f64(b), B, n, m, reg, 'entropy', res.iters, solver);
        return [
          { what: 'value', got: res.value, want: ref.value },
          { what: 'plan', got: res.plan, want: ref.plan },
        ];
      });
    }
  }
  const r = rng(23);
  const cases = [
    [7, 20, 33, 0.05, 300, 1e-7],
    [5, 64, 64, 0.1, 200, 1e-9],
    [3, 1, 17, 0.2, 50, 1e-12],
    [2, 300, 300, 0.1, 30, 0], // too large for shared memory: the global-memory path
  ];
  for (const [B, n, m, reg, maxIter, tol] of cases) {
    const M64 = new Float64Array(B * n * m);
    for (let p = 0; p < B; p++) M64.set(distRef(randArray(r, n * 2), randArray(r, m * 2), n, m, 2, 'sqeuclidean', 2, false), p * n * m);
    const a64 = new Float64Array(B * n);
    const b64 = new Float64Array(B * m);
    for (let p = 0; p < B; p++) {
      a64.set(randWeights(r, n), p * n);
      b64.set(randWeights(r, m), p * m);
    }
    for (const solver of ['log_sinkhorn', 'sinkhorn']) {
      for (const stopRule of ['batch', 'problem']) {
        const regType = stopRule === 'batch' ? 'kl' : 'entropy';
        for (const dtype of ['float64', 'float32']) {
          await check('batch', `random ${solver} stopRule=${stopRule} ${regType} B=${B} ${n}x${m} reg=${reg}`, dtype, async () => {
            const [M, a, b] = [as(dtype, M64), as(dtype, a64), as(dtype, b64)];
            const res = k.batch({ M, a, b, B, n, m, reg, maxIter, tol, solver, regType, stopRule, record: 'none' });
            // float32 rarely meets tight tolerances: replay each problem's iteration count in float64.
            const ref = dtype === 'float64'
              ? batchSolveRef(f64(M), f64(a), f64(b), B, n, m, reg, regType, maxIter, tol, solver, stopRule === 'problem' ? 'each' : 'batch')
              : batchReplay(f64(M), f64(a), f64(b), B, n, m, reg, regType, res.iters, solver);
            const parts = ['pot0', 'pot1', 'plan', 'value', 'valueLinear'].map((w) => ({ what: w, got: res[w], want: ref[w] }));
            if (dtype === 'float64') {
              parts.push(
                { what: `iters [${res.iters.join(',')}], nIter ${res.nIter}`, pass: res.iters.every((x, i) => x === ref.iters[i]) && res.nIter === ref.nIter },
                { what: `status [${res.status.join(',')}]`, pass: res.status.every((x, i) => x === ref.status[i]) },
              );
            }
            return parts;
          });
        }
      }
    }
  }
  await check('batch', 'buffers as inputs and the async twin agree with host inputs', 'float32', async () => {
    const B = 64;
    const n = 64;
    const m = 48;
    const M = as('float32', randArray(r, B * n * m, 0, 2));
    const o = { ...BATCH, M, a: null, b: null, B, n, m, reg: 0.1, maxIter: 100, tol: 1e-6, solver: 'log_sinkhorn', stopRule: 'problem' };
    const host = k.batch(o);
    const dev = await k.batchAsync({ ...o, M: cu.cudaUpload(M), a: new Float64Array(B * n).fill(1 / n) });
    return [
      { what: 'pot0', got: dev.pot0, want: host.pot0, tol: 0 },
      { what: 'plan', got: dev.plan, want: host.plan, tol: 1e-6 },
      { what: 'value', got: dev.value, want: host.value, tol: 1e-6 },
      { what: "record 'all' is ERR_OT_DEVICE", ...(await expectError(() => k.batch({ ...o, record: 'all' }), 'ERR_OT_DEVICE')) },
    ];
  });
}

/** dualLoss / dualPlan's options (cpu/dual.ts's fields) with u on the GPU: the GPU Jobs' squared Euclidean cost. */
function dualOptions(cu, { u, v, xs, xt, ws, wt, d, reg, kind }) {
  return { u: cu.cudaUpload(u), v, xs, xt, ws, wt, d, reg, kind, metric: 'sqeuclidean', p: 2 };
}

/** dualLoss's GPU result with the gradients copied back (null stays null). */
function dualHost(cu, r) {
  const dl = (b) => (b == null ? null : cu.cudaDownload(b));
  return { loss: r.loss, du: dl(r.du), dv: dl(r.dv), dxs: dl(r.dxs), dxt: dl(r.dxt), dws: dl(r.dws), dwt: dl(r.dwt) };
}

async function dualChecks(cu) {
  for (const [k, c] of fixture('dual').entries()) {
    const n = c.u.length;
    const m = c.v.length;
    const d = c.xs[0].length;
    for (const dtype of ['float64', 'float32']) {
      await check('dual', `fixture ${k} ${c.kind} reg=${c.reg} ${n}x${m}${c.ws ? ' weighted' : ''}`, dtype, async () => {
        const [u, v, xs, xt] = [c.u, c.v, c.xs, c.xt].map((x) => as(dtype, flat(x)));
        const ws = c.ws ? as(dtype, flat(c.ws)) : null;
        const wt = c.wt ? as(dtype, flat(c.wt)) : null;
        const o = dualOptions(cu, { u, v, xs, xt, ws, wt, d, reg: c.reg, kind: c.kind });
        const res = dualHost(cu, cu.dualLoss({ ...o, want: 15 }));
        const plan = cu.cudaDownload(cu.dualPlan(o));
        const ref = dtype === 'float64'
          ? { loss: c.loss, du: flat(c.grad.u), dv: flat(c.grad.v), dxs: flat(c.grad.xs), dxt: flat(c.grad.xt), plan: flat(c.plan) }
          : dualRef(f64(u), f64(v), f64(xs), f64(xt), f64(ws), f64(wt), n, m, d, c.reg, c.kind);
        return ['loss', 'du', 'dv', 'dxs', 'dxt'].map((w) => ({ what: w, got: res[w], want: ref[w] })).concat([{ what: 'plan', got: plan, want: ref.plan }]);
      });
    }
  }
  const r = rng(31);
  for (const [n, m, d, reg, kind, weighted] of [
    [300, 257, 5, 0.5, 'entropic', true],
    [129, 64, 20, 0.1, 'quadratic', false],
    [70, 900, 2, 1, 'entropic', false],
  ]) {
    for (const dtype of ['float64', 'float32']) {
      await check('dual', `random ${kind} ${n}x${m}x${d} reg=${reg}${weighted ? ' weighted' : ''}`, dtype, async () => {
        const xs = as(dtype, randArray(r, n * d));
        const xt = as(dtype, randArray(r, m * d));
        const u = as(dtype, randArray(r, n, -0.5, 0.5));
        const v = as(dtype, randArray(r, m, -0.5, 0.5));
        const ws = weighted ? as(dtype, randWeights(r, n)) : null;
        const wt = weighted ? as(dtype, randWeights(r, m)) : null;
        const o = dualOptions(cu, { u, v, xs, xt, ws, wt, d, reg, kind });
        const res = dualHost(cu, cu.dualLoss({ ...o, want: 63 }));
        const ref = dualRef(f64(u), f64(v), f64(xs), f64(xt), f64(ws), f64(wt), n, m, d, reg, kind);
        // want without the xs bit (4): no dxs; host xs, xt, ws, wt are uploaded by the binding.
        const some = cu.dualLoss({ ...o, want: 1 | 2 | 8 });
        return ['loss', 'du', 'dv', 'dxs', 'dxt', 'dws', 'dwt']
          .map((w) => ({ what: w, got: res[w], want: ref[w] }))
          .concat([
            { what: 'plan', got: cu.cudaDownload(cu.dualPlan(o)), want: ref.plan },
            { what: 'want 11: du', got: cu.cudaDownload(some.du), want: ref.du },
            { what: 'want 11: dxs is null', pass: some.dxs === null && some.dws === null },
          ]);
      });
    }
  }
}

// ---------------------------------------------------------------- public API on cuda tensors

/**
 * The same values as a CPU tensor and as a cuda tensor of `dtype` (both leaves). The CPU twin is always
 * float64 (of the values rounded to dtype): float32 GPU results are judged by float64 CPU results of the
 * same inputs, so the CPU's own float32 rounding does not count against the GPU.
 */
function twins(lib, values, shape, dtype, requiresGrad = true) {
  const data = as(dtype, values);
  return [
    lib.tensor(f64(data), { shape, dtype: 'float64', requiresGrad }),
    lib.tensor(data, { shape, requiresGrad, device: 'cuda' }),
  ];
}

/** Parts asserting the cuda results are cuda tensors that were never copied back (.hostCopy() null). */
function onGpu(named) {
  return Object.entries(named).map(([what, t]) => ({
    what: `${what} is a cuda tensor left on the GPU`,
    pass: t?.device === 'cuda' && t.hostCopy() === null,
    note: t ? `device ${t.device}, host copy ${t.hostCopy() === null ? 'none' : 'present'}` : 'missing',
  }));
}

// float32 cannot reach float64 stopping tolerances: fixed iteration counts (tol 0) so both devices run the
// same iterations; their max_iter warnings are silenced while these checks run.
function quietly(fn) {
  const saved = process.emitWarning;
  process.emitWarning = () => {};
  return Promise.resolve().then(fn).finally(() => {
    process.emitWarning = saved;
  });
}

async function publicApiChecks(lib) {
  const parts = (what) => [{ what, pass: false, note: 'dist/index.js is missing or stale: run npm run build first' }];
  if (!lib?.tensor || !lib?.solve) {
    await check('public', 'library build', '-', async () => parts('load the public API'));
    return;
  }
  if (!lib.backend().cuda) {
    await check('public', 'library build', '-', async () => [{ what: 'the library sees the GPU', pass: false, note: "its addon has no CUDA: set OT_ADDON_PATH to the CUDA build" }]);
    return;
  }
  const r = rng(41);
  for (const dtype of ['float64', 'float32']) {
    const f32 = dtype === 'float32';
    const [n, m, d] = [300, 200, 3];
    const xs = randArray(r, n * d);
    const xt = randArray(r, m * d);
    const a = randWeights(r, n);
    const b = randWeights(r, m);
    const W = randArray(r, n * m, -1, 1);
    for (const grad of ['autodiff', 'envelope', 'last_step']) {
      await check('public', `dist -> solve grad=${grad} -> backward ${n}x${m}x${d}`, dtype, () => quietly(async () => {
        const [X, Xg] = twins(lib, xs, [n, d], dtype);
        const [Y, Yg] = twins(lib, xt, [m, d], dtype);
        const [A, Ag] = twins(lib, a, [n], dtype);
        const [B, Bg] = twins(lib, b, [m], dtype, false);
        const opts = { reg: 0.1, grad, maxIter: f32 ? 150 : 1000, tol: f32 ? 0 : 1e-9 };
        const res = lib.solve(lib.dist(X, Y), A, B, opts);
        const Mg = lib.dist(Xg, Yg);
        const resg = grad === 'autodiff' ? await lib.solveAsync(Mg, Ag, Bg, opts) : lib.solve(Mg, Ag, Bg, opts);
        const Wt = lib.tensor(as(dtype, W), { shape: [n, m] });
        const seed = (rs) => (grad === 'envelope' ? rs.value : rs.value.add(rs.plan.mul(Wt).sum()));
        const gpu = onGpu({ M: Mg, plan: resg.plan, logU: resg.potentials[0] });
        seed(res).backward();
        seed(resg).backward();
        gpu.push(...onGpu({ 'X.grad': Xg.grad, 'Y.grad': Yg.grad }));
        return [
          ...gpu,
          { what: `nIter ${resg.nIter} vs ${res.nIter}, status ${resg.status} vs ${res.status}`, pass: resg.nIter === res.nIter && resg.status === res.status },
          { what: 'value', got: resg.value.item(), want: res.value.item() },
          { what: 'plan', got: resg.plan.data, want: res.plan.data },
          { what: 'logV', got: resg.potentials[1].data, want: res.potentials[1].data },
          { what: 'X.grad', got: Xg.grad.data, want: X.grad.data },
          { what: 'Y.grad', got: Yg.grad.data, want: Y.grad.data },
          { what: 'a.grad', got: Ag.grad.data, want: A.grad.data },
          { what: 'a.grad on cuda', pass: Ag.grad.device === 'cuda' },
        ];
      }));
    }

    const [Bn, bn, bm] = [16, 40, 30];
    const Xs = randArray(r, Bn * bn * 2);
    const Ys = randArray(r, Bn * bm * 2);
    await check('public', `distBatch -> solveBatch (envelope) -> backward B=${Bn} ${bn}x${bm}`, dtype, () => quietly(async () => {
      const [X, Xg] = twins(lib, Xs, [Bn, bn, 2], dtype);
      const [Y, Yg] = twins(lib, Ys, [Bn, bm, 2], dtype);
      const opts = { reg: 0.05, maxIter: f32 ? 60 : 2000, tol: f32 ? 0 : 1e-8 };
      const res = lib.batch.solveBatch(lib.batch.distBatch(X, Y), opts);
      const Mg = await lib.batch.distBatchAsync(Xg, Yg);
      const resg = lib.batch.solveBatch(Mg, opts);
      const gpu = onGpu({ M: Mg, plan: resg.plan, 'potentials[0]': resg.potentials[0] });
      res.value.sum().backward();
      resg.value.sum().backward();
      return [
        ...gpu,
        { what: 'nIterPerProblem and status', pass: resg.nIter === res.nIter && resg.statusPerProblem.every((s, i) => s === res.statusPerProblem[i]) },
        { what: 'value', got: resg.value.data, want: res.value.data },
        { what: 'plan', got: resg.plan.data, want: res.plan.data },
        { what: 'X.grad', got: Xg.grad.data, want: X.grad.data },
        { what: 'Y.grad', got: Yg.grad.data, want: Y.grad.data },
        { what: 'X.grad on cuda', pass: Xg.grad.device === 'cuda' },
      ];
    }));

    const [dn, dm] = [400, 300];
    // Well separated clouds: no gradient entry near 0, where Adam's normalised step would amplify rounding.
    const ds = randArray(r, dn * 2, 0, 1);
    const dt = randArray(r, dm * 2, 2.5, 3.5);
    await check('public', `lossDualEntropic + Adam, 10 steps ${dn}x${dm}`, dtype, async () => {
      const [u, ug] = twins(lib, new Float64Array(dn), [dn], dtype);
      const [v, vg] = twins(lib, new Float64Array(dm), [dm], dtype);
      const [xsC, xsG] = twins(lib, ds, [dn, 2], dtype, false);
      const [xtC, xtG] = twins(lib, dt, [dm, 2], dtype, false);
      const opt = new lib.optim.Adam([u, v], { lr: 0.05 });
      const optg = new lib.optim.Adam([ug, vg], { lr: 0.05 });
      let loss = 0;
      let lossg = 0;
      for (let k = 0; k < 10; k++) {
        opt.zeroGrad();
        optg.zeroGrad();
        const L = lib.stochastic.lossDualEntropic(u, v, xsC, xtC, { reg: 0.5 }).neg();
        const Lg = lib.stochastic.lossDualEntropic(ug, vg, xsG, xtG, { reg: 0.5 }).neg();
        L.backward();
        Lg.backward();
        opt.step();
        optg.step();
        [loss, lossg] = [L.item(), Lg.item()];
      }
      const Gg = lib.stochastic.planDualEntropic(ug, vg, xsG, xtG, { reg: 0.5 });
      const gpu = onGpu({ plan: Gg });
      return [
        ...gpu,
        { what: 'u, v stay cuda', pass: ug.device === 'cuda' && vg.grad?.device === 'cuda' },
        { what: 'loss after 10 steps', got: lossg, want: loss },
        { what: 'u', got: ug.data, want: u.data },
        { what: 'v', got: vg.data, want: v.data },
        { what: 'plan', got: Gg.data, want: lib.stochastic.planDualEntropic(u, v, xsC, xtC, { reg: 0.5 }).data },
      ];
    });
  }
  await check('public', 'mixed devices and CPU-only features are ERR_OT_DEVICE', 'float64', async () => {
    const x = lib.tensor([[0, 1], [1, 0]], { device: 'cuda' });
    const y = lib.tensor([[1, 1], [0, 0]]);
    return [
      { what: 'dist(cuda, cpu)', ...(await expectError(() => lib.dist(x, y), 'ERR_OT_DEVICE')) },
      { what: "lossDualEntropic metric 'euclidean'", ...(await expectError(() => lib.stochastic.lossDualEntropic(lib.tensor([0, 0], { device: 'cuda' }), lib.tensor([0, 0], { device: 'cuda' }), x, x, { metric: 'euclidean' }), 'ERR_OT_DEVICE')) },
      { what: 'x.to("cpu") reads back', pass: x.to('cpu').device === 'cpu' && x.to('cpu').data[1] === 1 },
    ];
  });
}

// ---------------------------------------------------------------- benchmarks

// Peak HBM bandwidth by device name (bytes/s); null when unknown.
function peakBandwidth(name) {
  const table = [
    [/H200/i, 4.8e12],
    [/H100.*PCIe/i, 2.0e12],
    [/H100.*NVL/i, 3.9e12],
    [/H100/i, 3.35e12],
    [/A100.*80/i, 2.0e12],
    [/A100/i, 1.555e12],
  ];
  for (const [re, bw] of table) if (re.test(name)) return bw;
  return null;
}

/** Seconds: one warm-up call, then the median of max(reps, 5) timed calls (each call synchronises). */
function timeIt(fn, reps = 5) {
  fn(); // warm-up
  const ts = [];
  for (let i = 0; i < Math.max(reps, 5); i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((x, y) => x - y);
  return ts[ts.length >> 1] / 1000;
}

async function benchmarks(cu, deviceName, lib) {
  const bw = peakBandwidth(deviceName);
  const small = flags.has('--small-bench');
  const [nSk, bBatch, nDual] = small ? [256, 64, 300] : [8192, 4096, 20000];
  const r = rng(99);
  const bench = results.benchmarks;
  const safe = async (name, fn) => {
    if (benchOnly !== null && !name.startsWith(benchOnly)) return;
    try {
      bench[name] = await fn();
    } catch (e) {
      bench[name] = { error: `${e?.code ?? ''} ${e?.message ?? e}` };
    }
  };
  if (flags.has('--only-oned')) {
    await onedSlicedBenchmarks(cu, safe, small);
    return;
  }
  for (const dtype of ['float32', 'float64']) {
    await safe(`sinkhorn_log_${nSk}_${dtype}`, () => {
      const n = nSk;
      const x = as(dtype, randArray(r, n * 2));
      const y = as(dtype, randArray(r, n * 2));
      const M = cu.distForward({ x: cu.cudaUpload(x), y, n, m: n, d: 2, metric: 'sqeuclidean', p: 2, same: false });
      const solve = { M, a: null, b: null, n, m: n, reg: 0.05, regType: 'KL', tol: 0 };
      const run = (iters) => cu.sinkhornSolve({ ...solve, maxIter: iters, record: 'none' });
      const t10 = timeIt(() => run(10), 2);
      const t110 = timeIt(() => run(110), 2);
      const perIter = (t110 - t10) / 100;
      const bytes = 2 * n * n * (dtype === 'float32' ? 4 : 8); // M read once per half-iteration
      const out = { n, m: n, perIterationMs: perIter * 1e3, bytesPerIteration: bytes, achievedGBs: bytes / perIter / 1e9 };
      if (bw) Object.assign(out, { peakGBs: bw / 1e9, rooflineMs: (bytes / bw) * 1e3, fractionOfRoofline: bytes / bw / perIter });
      // Reverse pass: M read twice, dM read and written once per iteration.
      const fwd = cu.sinkhornSolve({ ...solve, maxIter: 20, record: 'history' });
      const back = { ...solve, history: fwd.history, iterations: fwd.iterations, lastStep: false, directTerms: true, gValue: 0, gValueLinear: 1, needM: true };
      const tAdj = timeIt(() => cu.sinkhornBackward(back), 1);
      out.adjointPerIterationMs = (tAdj / fwd.iterations) * 1e3;
      out.adjointBytesPerIteration = 2 * bytes;
      if (bw) out.adjointFractionOfRoofline = (2 * bytes) / bw / (tAdj / fwd.iterations);
      M.free();
      return out;
    });
  }
  await onedSlicedBenchmarks(cu, safe, small);
  for (const solver of ['log_sinkhorn', 'sinkhorn']) {
    await safe(`batch_${bBatch}x64x64_float32_${solver}`, () => {
      const B = bBatch;
      const n = 64;
      const M = cu.cudaUpload(as('float32', randArray(r, B * n * n, 0, 1)));
      const iters = 100;
      const o = { ...BATCH, M, a: null, b: null, B, n, m: n, reg: 0.1, maxIter: iters, tol: 0, solver };
      const t = timeIt(() => cu.solveBatch(o), 2);
      const tEach = timeIt(() => cu.solveBatch({ ...o, stopRule: 'problem' }), 2);
      M.free();
      return { B, n, m: n, iterations: iters, seconds: t, problemsPerSecond: B / t, perIterationUs: (t / iters) * 1e6, eachStopSeconds: tEach };
    });
  }
  for (const dtype of ['float32', 'float64']) {
    await safe(`dual_loss_grad_${nDual}_${dtype}`, () => {
      const n = nDual;
      const d = 2;
      const up = (len, lo, hi) => cu.cudaUpload(as(dtype, randArray(r, len, lo, hi)));
      const [u, v, xs, xt] = [up(n, -0.1, 0.1), up(n, -0.1, 0.1), up(n * d, 0, 1), up(n * d, 0, 1)];
      const t = timeIt(() => cu.dualLoss({ u, v, xs, xt, ws: null, wt: null, d, reg: 0.1, kind: 'entropic', metric: 'sqeuclidean', p: 2, want: 15 }), 5);
      return { n, m: n, d, msPerCall: t * 1e3, pairsPerSecond: (n * n) / t };
    });
  }
  if (lib?.backend?.().cuda) {
    await safe(`solve_autodiff_${nDual}_float32`, () => largeSolveBench(lib, nDual, 100));
    for (const [n, dtype] of small ? [[300, 'float64']] : [[4000, 'float64'], [40000, 'float32']]) {
      await safe(`lazy_${n}_${dtype}`, () => lazyBench(lib, n, dtype));
    }
  }
}

// ---------------------------------------------------------------- self-test of the references

async function selfTest(lib) {
  for (const [k, c] of fixture('dist').entries()) {
    await check('self-test', `dist ${k} ${c.metric}`, 'float64', async () => {
      const n = c.x.length;
      const m = c.y.length;
      const d = c.x[0].length;
      const M = distRef(flat(c.x), flat(c.y), n, m, d, c.metric, c.p ?? 2, false);
      const parts = [{ what: 'M', got: M, want: flat(c.M) }];
      if (c.grad_sum_MW?.x) {
        const g = distBackwardRef(flat(c.x), flat(c.y), flat(c.W), n, m, d, c.metric, c.p ?? 2, false);
        parts.push({ what: 'dx', got: g.gx, want: flat(c.grad_sum_MW.x) }, { what: 'dy', got: g.gy, want: flat(c.grad_sum_MW.y) });
      } else if (lib) {
        const ref = cpuDist(lib, flat(c.x), flat(c.y), flat(c.W), n, m, d, c.metric, c.p ?? 2, false);
        const g = distBackwardRef(flat(c.x), flat(c.y), flat(c.W), n, m, d, c.metric, c.p ?? 2, false);
        parts.push({ what: `dx vs ${ref.source}`, got: g.gx, want: ref.gx }, { what: `dy vs ${ref.source}`, got: g.gy, want: ref.gy });
      }
      return parts;
    });
  }
  // The native solve's fields (value, schedule, packed history, split cotangent) as the GPU checks expect them.
  for (const [k, c] of fixture('solve').entries()) {
    await check('self-test', `solve ${k} ${c.reg_type} ${c.grad}`, 'float64', async () => {
      const [M, a, b] = [flat(c.M), flat(c.a), flat(c.b)];
      const regType = c.reg_type.toLowerCase() === 'kl' ? 'KL' : 'entropy';
      const record = c.grad === 'autodiff' ? 'history' : c.grad === 'last_step' ? 'last_step' : 'none';
      const res = sinkhornSolveRef(M, a, b, c.n, c.m, c.reg, regType, SOLVE.maxIter, SOLVE.tol, record);
      const parts = [
        { what: 'value', got: res.value, want: c.value },
        { what: 'value_linear', got: res.valueLinear, want: c.value_linear },
        { what: 'plan', got: res.plan, want: flat(c.plan) },
        { what: 'log_u', got: res.logU, want: flat(c.log_u) },
      ];
      if (record !== 'none') {
        const back = { history: res.history, iterations: res.iterations, lastStep: record === 'last_step', directTerms: record !== 'last_step' };
        const g = sinkhornBackwardRef(M, a, b, c.n, c.m, c.reg, regType, { ...back, gValue: 1, gValueLinear: 0 });
        const w = sinkhornBackwardRef(M, a, b, c.n, c.m, c.reg, regType, { ...back, gValue: 0, gValueLinear: 0, gPlan: flat(c.W) });
        parts.push(
          { what: 'd value/dM', got: g.dM, want: flat(c.grad_value.M) },
          { what: 'd value/da', got: g.da, want: flat(c.grad_value.a) },
          { what: 'd value/db', got: g.db, want: flat(c.grad_value.b) },
          { what: 'd<plan,W>/dM', got: w.dM, want: flat(c.grad_sum_planW.M) },
          { what: 'd<plan,W>/da', got: w.da, want: flat(c.grad_sum_planW.a) },
          { what: 'd<plan,W>/db', got: w.db, want: flat(c.grad_sum_planW.b) },
        );
      }
      return parts;
    });
  }
  for (const [k, c] of fixture('batch').entries()) {
    await check('self-test', `batch ${k} ${c.solver}`, 'float64', async () => {
      const res = batchSolveRef(flat(c.M), flat(c.a), flat(c.b), c.B, c.n, c.m, c.reg, 'entropy', 10000, 1e-10, c.solver);
      return [
        { what: 'value', got: res.value, want: c.value },
        { what: 'value_linear', got: res.valueLinear, want: c.value_linear },
        { what: 'plan', got: res.plan, want: flat(c.plan) },
        { what: 'status converged', pass: res.status.every((x) => x === 0) },
      ];
    });
  }
  for (const [k, c] of fixture('dual').entries()) {
    await check('self-test', `dual ${k} ${c.kind}`, 'float64', async () => {
      const n = c.u.length;
      const res = dualRef(flat(c.u), flat(c.v), flat(c.xs), flat(c.xt), c.ws && flat(c.ws), c.wt && flat(c.wt), n, c.v.length, c.xs[0].length, c.reg, c.kind);
      return [
        { what: 'loss', got: res.loss, want: c.loss },
        { what: 'du', got: res.du, want: flat(c.grad.u) },
        { what: 'dxs', got: res.dxs, want: flat(c.grad.xs) },
        { what: 'dxt', got: res.dxt, want: flat(c.grad.xt) },
        { what: 'plan', got: res.plan, want: flat(c.plan) },
      ];
    });
  }
}

// ---------------------------------------------------------------- report

function report() {
  const rows = new Map();
  for (const c of results.checks) {
    const key = `${c.group} | ${c.name} | ${c.dtype}`;
    const row = rows.get(key) ?? { worst: 0, pass: true, notes: [] };
    if (c.err !== null && !(c.err <= row.worst)) row.worst = c.err;
    if (!c.pass) {
      row.pass = false;
      row.notes.push(`${c.what}${c.err !== null ? ` err=${fmt(c.err)} tol=${c.tol}` : ''}${c.note ? ` ${c.note}` : ''}`);
    }
    rows.set(key, row);
  }
  console.log('\nchecks (worst relative error per case)');
  for (const [key, row] of rows) console.log(`${row.pass ? ' ok ' : 'FAIL'}  ${fmt(row.worst).padStart(9)}  ${key}${row.pass ? '' : `  <- ${row.notes.join('; ')}`}`);
  const failed = [...rows.values()].filter((r) => !r.pass).length;
  console.log(`\n${rows.size - failed}/${rows.size} cases passed`);
  if (Object.keys(results.benchmarks).length) {
    console.log('\nbenchmarks');
    for (const [name, b] of Object.entries(results.benchmarks)) console.log(`  ${name.padEnd(36)} ${JSON.stringify(b, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v))}`);
  }
  results.summary = { cases: rows.size, failed };
  if (process.env.OUT) {
    mkdirSync(process.env.OUT, { recursive: true });
    writeFileSync(join(process.env.OUT, 'gpu-results.json'), JSON.stringify(results, (_, v) => (v === Infinity ? 'Infinity' : v), 2));
  }
  return failed;
}

function fmt(x) {
  return x === null || x === undefined ? '-' : x === Infinity ? 'inf' : x.toExponential(2);
}

// ---------------------------------------------------------------- main

const lib = await loadLibrary();
const cu = await loadAddon(lib);
if (flags.has('--self-test')) {
  await selfTest(lib);
  process.exit(report() === 0 ? 0 : 1);
}
const devices = cu?.backendInfo?.().cudaDevices ?? (lib?.backend?.().devices ?? []).filter((d) => d.type === 'cuda');
if (!cu || typeof cu.cudaAvailable !== 'function' || !cu.cudaAvailable() || devices.length === 0) {
  const why = cu?.backendInfo && !cu.backendInfo().cudaCompiled ? ' (the addon was built without CUDA)' : '';
  console.log(`no GPU: skipped${why}`);
  process.exit(0);
}
results.device = devices[0];
console.log(`device: ${devices[0].name} (${(devices[0].totalMemory / 2 ** 30).toFixed(0)} GiB, cc ${devices[0].computeCapability})`);
for (const [name, fn] of benchOnly !== null ? [] : [
  ['runtime', () => runtimeChecks(cu)],
  ['dist', () => distChecks(cu, lib)],
  ['dist batch', () => distBatchChecks(cu)],
  ['sinkhorn', () => sinkhornChecks(cu)],
  ['batch', () => batchChecks(cu)],
  ['dual', () => dualChecks(cu)],
  ['public API', () => publicApiChecks(lib)],
  ['public ops', () => lib?.backend?.().cuda && apiOpChecks(lib, { check, twins, randArray, randWeights, quietly, rng })],
  ['1-D and sliced', () => onedSlicedChecks(cu, lib, check)],
]) {
  if (flags.has('--only-oned') && name !== '1-D and sliced') continue;
  const t0 = performance.now();
  await fn();
  console.log(`  ${name} checks: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
if (!flags.has('--no-bench')) await benchmarks(cu, devices[0].name, lib);
process.exit(report() === 0 ? 0 : 1);
