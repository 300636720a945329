// Fuzz cases over the public API (ot.dist, ot.solve(Async), ot.stochastic.*, ot.batch.*, tensor ops,
// optimisers, datasets): random shapes, hostile values, wrong types and options, and backward passes.
import * as ot from '../../lib/index.js';
import {
  allFinite, chance, choice, errorProblem, findNaN, mode, pick, uniform, options, size, tensorArg, value, values, type FuzzCase, type Gen, type Mode,
} from './fuzz-values.js';


/** Histogram weights of `len` entries: usually a normalised Tensor (with some zeros), sometimes not. */
function weights(g: Gen, len: number, m: Mode): unknown {
  const r = uniform(g, 0, 11);
  if (r === 0) return undefined;
  if (r === 1) return tensorArg(g, [len], m, { nonNegative: chance(g, 0.7) });
  if (r === 2) return tensorArg(g, [Math.max(0, len + pick(g, -1, 1))], 'clean', { nonNegative: true });
  const raw = Array.from({ length: len }, () => (chance(g, 0.2) ? 0 : uniform(g, 0, 1e6) / 1e6));
  const s = raw.reduce((p, x) => p + x, 0);
  const vals = s > 0 ? raw.map((x) => x / s) : raw;
  const t = ot.tensor(vals, { dtype: pick(g, 'float64', 'float32') });
  if (chance(g, 0.3)) t.requiresGrad_(true);
  return t;
}

/** A signal for async calls: none, already aborted, or aborted a moment after the call. */
function signal(g: Gen): AbortSignal | undefined {
  const r = uniform(g, 0, 5);
  if (r < 3) return undefined;
  const ac = new AbortController();
  if (r === 3) ac.abort();
  else setTimeout(() => ac.abort(), 0);
  return ac.signal;
}

/** Inputs that require grad, whose .grad a backward pass fills. */
function gradLeaves(...xs: unknown[]): ot.Tensor[] {
  return xs.filter((x): x is ot.Tensor => x instanceof ot.Tensor && x.requiresGrad && x.isLeaf);
}

/** A diverged result must refuse to differentiate (with an OTError) rather than produce NaN. */
function expectRefusedBackward(out: ot.Tensor): string | null {
  if (!out.requiresGrad) return null;
  try {
    out.backward();
  } catch (e) {
    return e instanceof ot.OTError ? null : `backward of a diverged solve threw ${String(e)}`;
  }
  return 'backward of a diverged solve returned gradients';
}

/** Backward from a scalar of the result; gradients must be well-formed and, from finite input, NaN-free. */
function backwardFrom(out: ot.Tensor | undefined, leaves: ot.Tensor[], finite: boolean): string | null {
  if (!out || !out.requiresGrad) return null;
  for (const t of leaves) t.grad = null;
  try {
    (out.numel === 1 ? out : out.sum()).backward();
  } catch (e) {
    // An OTError is an answer (e.g. gradients that overflow for extreme inputs); anything else is not.
    return e instanceof ot.OTError ? errorProblem(e) : `backward threw ${String(e)}`;
  }
  for (const t of leaves) {
    if (t.grad && t.grad.data.length !== t.data.length) return `gradient of shape [${t.grad.shape.join(', ')}] for [${t.shape.join(', ')}]`;
    if (finite && t.grad && findNaN(t.grad)) return `NaN gradient from finite input ${findNaN(t.grad)}`;
  }
  return null;
}

const DIST_METRICS = ['sqeuclidean', 'euclidean', 'cityblock', 'minkowski', 'chebyshev', 'cosine'];

function distCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g), k = size(g), d = size(g, 4);
  const x = tensorArg(g, [n, d], m);
  const y = chance(g, 0.2) ? undefined : tensorArg(g, [k, chance(g, 0.9) ? d : size(g, 4)], m);
  const opts = options(g, { metric: (g) => choice(g, DIST_METRICS, ['jaccard']), p: (g) => choice(g, [1, 1.5, 2, 3, 50], [0.5]) });
  const async = chance(g, 0.3);
  const finite = allFinite(x, y, opts);
  return {
    label: `dist${async ? 'Async' : ''}`,
    inputs: [x, y, opts],
    finite,
    run: () => (async ? ot.distAsync(x as ot.Tensor, y as ot.Tensor, { ...(opts as object), signal: signal(g) }) : ot.dist(x as ot.Tensor, y as ot.Tensor, opts as ot.DistOptions)),
    check: (M) => backwardFrom(M as ot.Tensor, gradLeaves(x, y), finite),
  };
}

/** Sample weights for the 1-D and sliced distances: absent, a Tensor (sometimes of a wrong length), or junk. */
function sampleWeights(g: Gen, len: number, m: Mode): unknown {
  if (chance(g, 0.5)) return undefined;
  return tensorArg(g, [chance(g, 0.95) ? len : len + 1], m, { nonNegative: chance(g, 0.9), grad: false });
}

/** ot.wasserstein1d / emd1d / emd21d and their async twins. */
function onedCase(g: Gen): FuzzCase {
  const m = mode(g);
  const fn = pick(g, 'wasserstein1d', 'emd1d', 'emd21d');
  const n = size(g), k = size(g), cols = size(g, 3);
  const twoD = fn === 'wasserstein1d' && chance(g, 0.5);
  const u = tensorArg(g, twoD ? [n, cols] : [n], m);
  const v = tensorArg(g, twoD ? [k, chance(g, 0.9) ? cols : cols + 1] : [k], m);
  const p = (g: Gen) => choice(g, [1, 1.5, 2, 3], [0.5]);
  const opts = fn === 'wasserstein1d'
    ? options(g, { uWeights: (g) => sampleWeights(g, n, m), vWeights: (g) => sampleWeights(g, k, m), p })
    : options(g, { a: (g) => sampleWeights(g, n, m), b: (g) => sampleWeights(g, k, m), p, metric: (g) => choice(g, ['sqeuclidean', 'minkowski', 'cityblock', 'euclidean'], ['cosine']), ...(fn === 'emd1d' ? { dense: (g: Gen) => chance(g, 0.7) } : {}) });
  const async = chance(g, 0.3);
  const finite = allFinite(u, v, opts);
  const f = ot[`${fn}${async ? 'Async' : ''}` as 'wasserstein1d'] as (...a: unknown[]) => unknown;
  const o = async && opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
  return {
    label: `${fn}${async ? 'Async' : ''}`,
    inputs: [u, v, opts],
    finite,
    run: () => f(u, v, o),
    check: (r) => (r instanceof ot.Tensor ? backwardFrom(r, gradLeaves(u, v), finite) : null),
  };
}

/** ot.solveSample / solveSampleAsync: dense, '1d' and lazy routes. */
function solveSampleCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g, 6), k = size(g, 6), d = size(g, 3);
  const xA = tensorArg(g, [n, d], m);
  const xB = tensorArg(g, [k, chance(g, 0.9) ? d : d + 1], m);
  const opts = options(g, {
    reg: (g) => choice(g, [0.05, 1, 10], [0, -1, Infinity]), lazy: (g) => chance(g, 0.6),
    method: (g) => choice(g, ['sinkhorn_log', '1d'], ['gaussian', 'nope']), maxIter: (g) => choice(g, [5, 100], [0, 1.5]),
    metric: (g) => choice(g, ['sqeuclidean', 'euclidean'], ['nope']), batchSize: (g) => choice(g, [1, 8], [0]),
    grad: (g) => choice(g, ['envelope', 'detach'], ['autodiff']), unbalanced: (g) => choice(g, [1], [-1]),
  });
  const a = sampleWeights(g, n, m), b = sampleWeights(g, k, m);
  const async = chance(g, 0.3);
  const o = async && opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
  const finite = allFinite(xA, xB, a, b, opts);
  const f = (async ? ot.solveSampleAsync : ot.solveSample) as (...x: unknown[]) => unknown;
  return {
    label: `solveSample${async ? 'Async' : ''}`,
    inputs: [xA, xB, a, b, opts],
    finite: (r) => finite && (r as ot.SampleResult).status !== 'diverged',
    run: () => f(xA, xB, a, b, o),
    check: (r) => backwardFrom((r as ot.SampleResult).value, gradLeaves(xA, xB), finite && (r as ot.SampleResult).status !== 'diverged'),
  };
}

/** ot.slicedWassersteinDistance / maxSlicedWassersteinDistance and their async twins. */
function slicedCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g), k = size(g), d = size(g, 4);
  const xS = tensorArg(g, [n, d], m);
  const xT = tensorArg(g, [k, chance(g, 0.9) ? d : d + 1], m);
  const opts = options(g, {
    a: (g) => sampleWeights(g, n, m), b: (g) => sampleWeights(g, k, m), p: (g) => choice(g, [1, 2, 3], [0.5]),
    nProjections: (g) => choice(g, [1, 5, 50], [0, 1.5]), seed: (g) => choice(g, [0, 7, 2 ** 32 - 1], [-1, 0.5]),
    projections: (g) => tensorArg(g, [chance(g, 0.9) ? d : d + 1, size(g, 5)], m, { grad: false }),
  });
  const max = chance(g, 0.5), async = chance(g, 0.3);
  const name = `${max ? 'maxSliced' : 'sliced'}WassersteinDistance${async ? 'Async' : ''}`;
  const f = ot[name as 'slicedWassersteinDistance'] as (...a: unknown[]) => unknown;
  const o = async && opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
  const finite = allFinite(xS, xT, opts);
  return {
    label: name,
    inputs: [xS, xT, opts],
    finite,
    run: () => f(xS, xT, o),
    check: (r) => backwardFrom(r as ot.Tensor, gradLeaves(xS, xT), finite),
  };
}

const SOLVE_OPTS = {
  reg: (g: Gen) => pick(g, 1e-4, 1e-3, 0.01, 0.05, 0.1, 1, 10, 1e4),
  regType: (g: Gen) => choice(g, ['KL', 'entropy', 'kl'], ['L2']),
  maxIter: (g: Gen) => uniform(g, 1, 200),
  tol: (g: Gen) => pick(g, 1e-9, 0, 1e-3, 1e-12),
  grad: (g: Gen) => choice(g, ['autodiff', 'envelope', 'last_step', 'detach'], ['implicit']),
  unbalanced: (g: Gen) => choice(g, [0.1, 1, 10, [1, Infinity], [0.5, 2]], [0, -1, NaN, [1]]),
  unbalancedType: (g: Gen) => choice(g, ['KL', 'TV', 'L2', 'kl'], ['L1']),
  epsScaling: (g: Gen) => choice(g, [true, { decay: 0.5 }, { regInit: 1, decay: 0.7 }], [{ decay: 2 }, 'yes']),
};

function withReg(g: Gen, o: unknown): unknown {
  // Without reg the call is exact OT; leave it out only sometimes so most cases reach Sinkhorn.
  if (o && typeof o === 'object' && !Array.isArray(o) && !('reg' in o) && chance(g, 0.85)) return { ...o, reg: SOLVE_OPTS.reg(g) };
  return o;
}

function solveCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g, 8), k = size(g, 8);
  const M = tensorArg(g, chance(g, 0.05) ? [n * k] : [n, k], m, { nonNegative: chance(g, 0.6) });
  const a = weights(g, n, m), b = weights(g, k, m);
  const opts = withReg(g, options(g, SOLVE_OPTS));
  const async = chance(g, 0.3);
  const positional = chance(g, 0.85);
  const finite = allFinite(M, a, b, opts);
  const run = (): unknown => {
    if (async) {
      const o = opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
      return positional ? ot.solveAsync(M as ot.Tensor, a as ot.Tensor, b as ot.Tensor, o as ot.SolveAsyncOptions)
        : ot.solveAsync(M as ot.Tensor, o as ot.SolveAsyncOptions);
    }
    return positional ? ot.solve(M as ot.Tensor, a as ot.Tensor, b as ot.Tensor, opts as ot.SolveOptions) : ot.solve(M as ot.Tensor, opts as ot.SolveOptions);
  };
  return {
    label: `solve${async ? 'Async' : ''}`,
    inputs: [M, a, b, opts],
    // A diverged solve (possible for extreme finite costs) is flagged by its status.
    finite: (r) => finite && (r as ot.OTResult).status !== 'diverged',
    run,
    check: (r) => {
      const res = r as ot.OTResult;
      if (!['converged', 'max_iter', 'diverged'].includes(res.status)) return `status ${String(res.status)}`;
      if (m === 'clean' && res.status === 'diverged' && !costsBelowRounding(M, opts)) return 'diverged from clean input';
      if (res.status === 'diverged') return expectRefusedBackward(res.value);
      if (!Number.isInteger(res.nIter) || res.nIter < 0) return `nIter ${res.nIter}`;
      const [rows, cols] = res.plan.shape;
      if (rows !== (M as ot.Tensor).shape[0] || cols !== (M as ot.Tensor).shape[1]) return `plan shape [${res.plan.shape.join(', ')}]`;
      const seed = pick(g, 'value', 'valueLinear', 'plan', 'potential');
      const out = seed === 'value' ? res.value : seed === 'valueLinear' ? res.valueLinear : seed === 'plan' ? res.plan : res.potentials[0];
      return backwardFrom(out, gradLeaves(M, a, b), finite);
    },
  };
}

const EMD_FNS = ['emd', 'emd2', 'emdAsync', 'emd2Async'] as const;

/** ot.emd / emd2 (and async twins) with POT's argument order (a, b, M). */
function emdCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g, 8), k = size(g, 8);
  const M = tensorArg(g, chance(g, 0.05) ? [n * k] : [n, k], m, { nonNegative: chance(g, 0.6) });
  const a = weights(g, n, m), b = weights(g, k, m);
  const opts = options(g, { maxIter: (g) => choice(g, [1, 5, 100, 100000], [0, 1.5]) });
  const fn = pick(g, ...EMD_FNS);
  const finite = allFinite(M, a, b, opts);
  const o = fn.endsWith('Async') && opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
  return {
    label: fn,
    inputs: [a, b, M, opts],
    finite,
    run: () => (ot[fn] as (...args: unknown[]) => unknown)(a, b, M, o),
    check: (r) => backwardFrom(r as ot.Tensor, gradLeaves(M, a, b), finite),
  };
}

const SINKHORN_FNS = ['sinkhorn', 'sinkhorn2', 'sinkhornAsync', 'sinkhorn2Async'] as const;

/** ot.sinkhorn / sinkhorn2 (and async twins) with POT's argument order (a, b, M, reg). */
function sinkhornCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g, 8), k = size(g, 8);
  const M = tensorArg(g, [n, k], m, { nonNegative: chance(g, 0.7) });
  const a = weights(g, n, m), b = weights(g, k, m);
  const reg = choice(g, [0.05, 0.5, 2], [0, -1, NaN]);
  const opts = options(g, { maxIter: (g) => choice(g, [5, 100], [0]), method: (g) => choice(g, ['sinkhorn', 'sinkhorn_log'], ['greenkhorn']) });
  const fn = pick(g, ...SINKHORN_FNS);
  const finite = allFinite(M, a, b, opts) && Number.isFinite(reg);
  const o = fn.endsWith('Async') && opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
  return {
    label: fn,
    inputs: [a, b, M, reg, opts],
    finite,
    run: () => (ot[fn] as (...args: unknown[]) => unknown)(a, b, M, reg, o),
    check: (r) => backwardFrom(r as ot.Tensor, gradLeaves(M, a, b), finite),
  };
}

/** ot.sinkhornDivergence (and its async twin) on point clouds. */
function divergenceCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g, 6), k = size(g, 6), d = size(g, 3);
  const xs = tensorArg(g, [n, d], m);
  const xt = tensorArg(g, [k, chance(g, 0.9) ? d : d + 1], m);
  const opts = options(g, { reg: (g) => choice(g, [0.1, 1], [0, -1]), maxIter: (g) => choice(g, [5, 50], [0]), a: (g) => weights(g, n, m), metric: (g) => choice(g, ['sqeuclidean', 'euclidean'], ['jaccard']) });
  const fn = pick(g, 'sinkhornDivergence', 'sinkhornDivergenceAsync');
  const finite = allFinite(xs, xt, opts);
  const o = fn.endsWith('Async') && opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
  return {
    label: fn,
    inputs: [xs, xt, opts],
    finite,
    run: () => (ot[fn] as (...args: unknown[]) => unknown)(xs, xt, o),
    check: (r) => backwardFrom(r as ot.Tensor, gradLeaves(xs, xt), finite),
  };
}

const DUAL_FNS = [
  'lossDualEntropic', 'lossDualQuadratic', 'planDualEntropic', 'planDualQuadratic',
  'lossDualEntropicAsync', 'lossDualQuadraticAsync', 'planDualEntropicAsync', 'planDualQuadraticAsync',
] as const;

function dualCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g), k = size(g), d = size(g, 4);
  const u = tensorArg(g, [chance(g, 0.9) ? n : n + 1], m);
  const v = tensorArg(g, [k], m);
  const xs = tensorArg(g, [n, d], m);
  const xt = chance(g, 0.1) ? xs : tensorArg(g, [k, chance(g, 0.9) ? d : d + 1], m);
  const opts = options(g, {
    reg: (g) => pick(g, 1e-3, 0.01, 0.1, 1, 10),
    ws: (g) => weights(g, n, m),
    wt: (g) => weights(g, k, m),
    metric: (g) => choice(g, DIST_METRICS, ['kl']),
    p: (g) => choice(g, [1, 2, 3.5], [0.5]),
  });
  const fn = pick(g, ...DUAL_FNS);
  const finite = allFinite(u, v, xs, xt, opts);
  const o = fn.endsWith('Async') && opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
  return {
    label: `stochastic.${fn}`,
    inputs: [u, v, xs, xt, opts],
    finite,
    run: () => (ot.stochastic[fn] as (...args: unknown[]) => unknown)(u, v, xs, xt, o),
    check: (r) => backwardFrom(r as ot.Tensor, gradLeaves(u, v, xs, xt, (opts as { ws?: unknown })?.ws, (opts as { wt?: unknown })?.wt), finite),
  };
}

const SOLVE_DUAL_FNS = ['solveDualEntropic', 'solveDualQuadratic', 'solveDualEntropicAsync', 'solveDualQuadraticAsync'] as const;

function solveDualCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g), k = size(g), d = size(g, 4);
  const xs = tensorArg(g, [n, d], m);
  const xt = tensorArg(g, [k, chance(g, 0.9) ? d : d + 1], m);
  const adam = chance(g, 0.6);
  const opts = options(g, {
    reg: (g) => pick(g, 1e-2, 0.1, 1, 10),
    a: (g) => weights(g, n, m),
    b: (g) => weights(g, k, m),
    metric: (g) => choice(g, DIST_METRICS, ['kl']),
    steps: (g) => choice(g, [0, 1, 5, 20], [-1, 2.5]),
    optimizer: () => (adam ? 'adam' : 'sgd'),
    lr: (g) => choice(g, [1e-3, 0.1, 1], [-1]),
    ...(adam ? { betas: (g: Gen) => choice(g, [[0.9, 0.999], [0.5, 0.9]], [[1, 0.9]]), amsgrad: (g: Gen) => chance(g, 0.5) }
      : { momentum: (g: Gen) => choice(g, [0, 0.9], [-1]), nesterov: (g: Gen) => chance(g, 0.3) }),
    u0: (g) => tensorArg(g, [chance(g, 0.9) ? n : n + 1], m),
    v0: (g) => tensorArg(g, [k], m),
  });
  const fn = pick(g, ...SOLVE_DUAL_FNS);
  const finite = allFinite(xs, xt, opts);
  const o = fn.endsWith('Async') && opts && typeof opts === 'object' ? { ...opts, signal: signal(g) } : opts;
  return {
    label: `stochastic.${fn}`,
    inputs: [xs, xt, opts],
    finite,
    run: () => (ot.stochastic[fn] as (...args: unknown[]) => unknown)(xs, xt, o),
    check: (r) => {
      const res = r as ot.stochastic.SolveDualResult;
      if (res.u.shape[0] !== (xs as ot.Tensor).shape[0] || res.v.shape[0] !== (xt as ot.Tensor).shape[0]) return 'potential shapes';
      if (![...res.u.data, ...res.v.data, ...res.history, res.value].every(Number.isFinite)) return 'non-finite result';
      return null;
    },
  };
}

function solveBatchCase(g: Gen): FuzzCase {
  const m = mode(g);
  const B = size(g, 3), n = size(g, 6), k = size(g, 6);
  const M = tensorArg(g, chance(g, 0.05) ? [n, k] : [B, n, k], m, { nonNegative: chance(g, 0.6) });
  const batchW = (len: number): unknown => {
    if (chance(g, 0.5)) return tensorArg(g, [B, len], 'clean', { nonNegative: true });
    const w = new Float64Array(B * len).fill(1 / Math.max(1, len));
    return ot.tensor(w, { shape: [B, len], dtype: pick(g, 'float64', 'float32'), requiresGrad: chance(g, 0.3) });
  };
  const solver = choice(g, ['log_sinkhorn', 'log_sinkhorn', 'sinkhorn'], ['emd']);
  const opts = withReg(g, options(g, {
    reg: SOLVE_OPTS.reg, a: () => batchW(n), b: () => batchW(k), maxIter: SOLVE_OPTS.maxIter, tol: SOLVE_OPTS.tol,
    solver: () => solver, regType: (g) => choice(g, ['entropy', 'KL', 'kl'], ['L2']), grad: (g) => choice(g, ['envelope', 'autodiff', 'last_step', 'detach'], ['implicit']),
    stopRule: (g) => choice(g, ['batch', 'problem'], ['never']),
  }));
  const async = chance(g, 0.3);
  const finite = allFinite(M, opts);
  return {
    label: `batch.solveBatch${async ? 'Async' : ''}`,
    inputs: [M, opts],
    // Overflow is reported per problem as 'diverged' (the scaling-domain solver may overflow: documented).
    finite: (r) => finite && (r as ot.batch.BatchResult).status !== 'diverged',
    run: () => (async ? ot.batch.solveBatchAsync(M as ot.Tensor, { ...(opts as ot.batch.SolveBatchOptions), signal: signal(g) })
      : ot.batch.solveBatch(M as ot.Tensor, opts as ot.batch.SolveBatchOptions)),
    check: (r) => {
      const res = r as ot.batch.BatchResult;
      const scaling = (opts as { solver?: string })?.solver === 'sinkhorn';
      if (m === 'clean' && !scaling && res.status === 'diverged') return 'diverged from clean input';
      if (res.statusPerProblem.length !== (M as ot.Tensor).shape[0]) return 'one status per problem expected';
      if (res.status === 'diverged') return null;
      return backwardFrom(pick(g, res.value, res.plan, res.valueLinear), gradLeaves(M, (opts as { a?: unknown })?.a, (opts as { b?: unknown })?.b), finite);
    },
  };
}

function distBatchCase(g: Gen): FuzzCase {
  const m = mode(g);
  const B = size(g, 3), n = size(g, 5), k = size(g, 5), d = size(g, 3);
  const nonNegative = chance(g, 0.5);
  const X = tensorArg(g, [B, n, d], m, { nonNegative });
  const Y = chance(g, 0.2) ? undefined : tensorArg(g, [chance(g, 0.9) ? B : B + 1, k, d], m, { nonNegative });
  const opts = options(g, { metric: (g) => choice(g, ['sqeuclidean', 'euclidean', 'minkowski', 'kl', 'KL'], ['cosine']), p: (g) => choice(g, [1, 2, 3], [0.5]) });
  const async = chance(g, 0.3);
  const finite = allFinite(X, Y, opts);
  return {
    label: `batch.distBatch${async ? 'Async' : ''}`,
    inputs: [X, Y, opts],
    finite,
    run: () => (async ? ot.batch.distBatchAsync(X as ot.Tensor, Y as ot.Tensor, { ...(opts as object), signal: signal(g) })
      : ot.batch.distBatch(X as ot.Tensor, Y as ot.Tensor, opts as ot.batch.DistBatchOptions)),
    check: (r) => backwardFrom(r as ot.Tensor, gradLeaves(X, Y), finite),
  };
}

function shapeArg(g: Gen): unknown {
  const r = uniform(g, 0, 9);
  if (r === 0) return pick(g, [-1, 2], [1.5], [1e5, 1e5], 'x', undefined, [NaN], [2 ** 32, 2]);
  return Array.from({ length: uniform(g, 0, 3) }, () => size(g, 4));
}

function tensorCreateCase(g: Gen): FuzzCase {
  const m = mode(g);
  const fn = pick(g, 'tensor', 'zeros', 'ones', 'full', 'rand', 'randn', 'unif');
  const shape = shapeArg(g);
  const opts = options(g, {
    dtype: (g) => pick(g, 'float32', 'float64', 'int32'), requiresGrad: (g) => pick(g, true, false, 1),
    device: (g) => pick(g, 'cpu', 'cuda', 'tpu'), seed: (g) => pick(g, 0, 1, -1, 2 ** 40, 1.5),
  });
  const run = (): unknown => {
    switch (fn) {
      case 'tensor': {
        const len = Array.isArray(shape) ? (shape as number[]).reduce((p, s) => p * (Number.isInteger(s) && s >= 0 && s < 10 ? s : 1), 1) : 3;
        const data = pick(g, 'nested', 'flat', 'f32', 'f64', 'i32', 'ragged', 'junk');
        const vals = values(g, len, m);
        const src = data === 'nested' ? [vals, vals] : data === 'flat' ? vals : data === 'f32' ? Float32Array.from(vals)
          : data === 'f64' ? Float64Array.from(vals) : data === 'i32' ? new Int32Array(len) : data === 'ragged' ? [[1, 2], [3]] : pick(g, 'abc', {}, null, [['a']]);
        const o = opts && typeof opts === 'object' && chance(g, 0.5) ? { ...opts, shape } : opts;
        return ot.tensor(src as ot.NestedArray, o as ot.TensorOptions);
      }
      case 'full': return ot.full(shape as number[], value(g, m), opts as object);
      case 'unif': return ot.unif(pick(g, 0, 1, 5, -3, 1.5, NaN, 2 ** 40) as number, opts as { dtype?: ot.DType });
      default: return (ot[fn] as (s: unknown, o: unknown) => unknown)(shape, opts);
    }
  };
  return { label: `ot.${fn}`, finite: false, run, inputs: [shape, opts] };
}

function tensorOpCase(g: Gen): FuzzCase {
  const m = mode(g);
  const shape = Array.from({ length: uniform(g, 0, 3) }, () => size(g, 4));
  const x = tensorArg(g, shape, m, { badRate: 0 }) as ot.Tensor;
  const other = (): unknown => {
    const r = uniform(g, 0, 5);
    if (r === 0) return value(g, m);
    if (r === 1) return pick(g, 'x', null, undefined, [1, 2], {});
    const s = chance(g, 0.6) ? shape.map((d) => (chance(g, 0.3) ? 1 : d)) : Array.from({ length: uniform(g, 0, 3) }, () => size(g, 4));
    return tensorArg(g, s, m, { badRate: 0 });
  };
  const op = pick(g, 'add', 'sub', 'mul', 'div', 'neg', 'exp', 'log', 'sqrt', 'abs', 'pow', 'sum', 'mean', 'max', 'min',
    'reshape', 'to', 'item', 'backward', 'clone', 'detach', 'toArray', 'requiresGrad_');
  const run = (): unknown => {
    const t = x as unknown as Record<string, (...a: unknown[]) => unknown>;
    switch (op) {
      case 'add': case 'sub': case 'mul': case 'div': return t[op]!(other());
      case 'pow': return x.pow(pick(g, 2, 0.5, -1, NaN, 'x', 1e300) as number);
      case 'sum': case 'mean': return t[op]!(pick(g, undefined, 0, 1, -1, 5, 1.5, 'x'), pick(g, true, false));
      case 'reshape': return x.reshape(shapeArg(g) as number[]);
      case 'to': return x.to(pick(g, 'float32', 'float64', 'cpu', 'cuda', 'tpu') as ot.DType);
      case 'backward': {
        const y = x.requiresGrad ? x.mul(2) : x;
        y.backward(pick(g, undefined, x.shape.length === 0 ? 1 : [1], ot.ones(x.shape as number[]), 'x') as ot.Tensor);
        return x.grad;
      }
      case 'requiresGrad_': return x.requiresGrad_(pick(g, true, false) as boolean);
      default: return t[op]!();
    }
  };
  return { label: `Tensor.${op}`, finite: false, run, inputs: [x] };
}

function optimCase(g: Gen): FuzzCase {
  const m = mode(g);
  const n = size(g, 5);
  const params: unknown[] = Array.from({ length: uniform(g, 0, 3) }, () => tensorArg(g, [n], m, { badRate: 0.05, grad: true }));
  if (chance(g, 0.05)) params.push(params[0]);
  if (chance(g, 0.05)) params.push((params[0] as ot.Tensor | undefined)?.mul?.(2));
  for (const p of params) {
    if (p instanceof ot.Tensor && chance(g, 0.8)) p.grad = new ot.Tensor(Float64Array.from(values(g, n, m)), [n]).to(p.dtype);
  }
  const Adam = chance(g, 0.5);
  const opts = options(g, Adam
    ? { lr: (g) => pick(g, 1e-3, 1, 0, -1), betas: (g) => pick(g, [0.9, 0.999], [1, 0.5], [0.5], 'x'), eps: (g) => pick(g, 1e-8, 0, -1),
      weightDecay: (g) => pick(g, 0, 0.1, -1), amsgrad: (g) => pick(g, true, false, 'yes'), maximize: (g) => pick(g, true, false) }
    : { lr: (g) => pick(g, 1e-3, 1, -1), momentum: (g) => pick(g, 0, 0.9, -0.5), dampening: (g) => pick(g, 0, 0.1),
      weightDecay: (g) => pick(g, 0, 0.1), nesterov: (g) => pick(g, true, false), maximize: (g) => pick(g, true, false) });
  const steps = uniform(g, 1, 3);
  return {
    label: `optim.${Adam ? 'Adam' : 'SGD'}`,
    inputs: [params, opts],
    // Huge hyper-parameters (weightDecay 1e300) overflow as in torch; clean values must not.
    finite: m === 'clean' && JSON.stringify(opts ?? {}).match(/e\+|Infinity/) === null,
    run: () => {
      const opt = Adam ? new ot.optim.Adam(params as ot.Tensor[], opts as ot.optim.AdamOptions) : new ot.optim.SGD(params as ot.Tensor[], opts as ot.optim.SGDOptions);
      for (let s = 0; s < steps; s++) opt.step();
      opt.zeroGrad(pick(g, true, false));
      return params.filter((p) => p instanceof ot.Tensor);
    },
  };
}

function datasetCase(g: Gen): FuzzCase {
  const fn = pick(g, 'makeDataClassif', 'make1DGauss', 'make2DSamplesGauss');
  const n = pick(g, 0, 1, 5, -1, 1.5, NaN, 'x');
  const run = (): unknown => {
    if (fn === 'makeDataClassif') {
      return ot.datasets.makeDataClassif(pick(g, '3gauss', '3gauss2', 'gaussrot', '2gauss_prop', 'moons') as 'gaussrot', n as number,
        options(g, { nz: (g) => pick(g, 0.5, -1, 'x'), theta: (g) => pick(g, 0.1, NaN), p: (g) => pick(g, 0.5, 2), seed: (g) => pick(g, 0, 1, -1, 1.5) }) as object);
    }
    if (fn === 'make1DGauss') return ot.datasets.make1DGauss(n as number, pick(g, 0, 2, -1, 1e300) as number, pick(g, 1, 0, -1, NaN) as number);
    return ot.datasets.make2DSamplesGauss(n as number, pick(g, [0, 0], [0], 'x', 1) as unknown as number[], pick(g, [[1, 0], [0, 1]], 1, -1, [[1]]) as unknown as number[][],
      options(g, { seed: (g) => pick(g, 0, 1, -1) }) as object);
  };
  return { label: `datasets.${fn}`, finite: true, run, inputs: [n] };
}

/** Small utilities: seeds, timers, introspection, and gradients set by hand before an optimiser step. */
function miscCase(g: Gen): FuzzCase {
  const junk = (): unknown => pick(g, undefined, null, 'x', -1, 1.5, NaN, 2 ** 40, {}, [], true);
  const fn = pick(g, 'manualSeed', 'tic', 'toc', 'toq', 'backend', 'handGrad', 'requiresGrad_');
  const arg = junk();
  const run = (): unknown => {
    switch (fn) {
      case 'manualSeed': return ot.manualSeed(arg as number);
      case 'tic': return ot.tic();
      case 'toc': return ot.toc(chance(g, 0.5) ? 'took {} s' : (arg as string));
      case 'toq': return ot.toq();
      case 'backend': return (ot.backend as (x: unknown) => unknown)(arg);
      case 'requiresGrad_': return ot.rand([2]).requiresGrad_(arg as boolean);
      default: {
        const p = ot.rand([3], { requiresGrad: true });
        p.grad = ot.ones([pick(g, 2, 3, 4)]);
        new ot.optim.SGD([p], { lr: 0.1 }).step();
        return p;
      }
    }
  };
  return { label: `misc.${fn}`, finite: true, run, inputs: [arg] };
}

/** Every public-API case kind with its weight (heavier where the native boundary is crossed). */
export const PUBLIC_CASES: readonly [number, (g: Gen) => FuzzCase][] = [
  [4, distCase], [3, onedCase], [3, slicedCase], [6, solveCase], [3, emdCase], [2, sinkhornCase], [2, divergenceCase], [4, dualCase], [2, solveDualCase], [4, solveBatchCase], [3, distBatchCase],
  [3, tensorCreateCase], [4, tensorOpCase], [2, optimCase], [1, datasetCase], [1, miscCase], [3, solveSampleCase],
];

/**
 * Costs so small against reg (max |M| <= 1e-2 reg) that the entropic value can be rounding of the
 * potentials times reg, above the true value: the solve then reports 'diverged' (native/cpu/sinkhorn.cc
 * decides from the actual potentials; this is the bound on when it may).
 */
function costsBelowRounding(M: unknown, opts: unknown): boolean {
  const reg = (opts as { reg?: unknown } | undefined)?.reg;
  if (!(M instanceof ot.Tensor) || typeof reg !== 'number') return false;
  let max = 0;
  for (const v of M.data) max = Math.max(max, Math.abs(v));
  return max <= 1e-2 * reg;
}
