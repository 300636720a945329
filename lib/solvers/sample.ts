// Optimal transport between samples (POT: ot.solve_sample) and its async twin. The dense path builds
// M = dist(xA, xB, metric) and hands it to ot.solve with every solve option; method '1d' runs the
// exact 1-D solver on each dimension; lazy: true runs the tiled log-domain Sinkhorn of lazy.ts, which
// never stores M or the plan.
import { checkOnProgress } from '../core/progress.js';
import { checkOptions, fail } from '../core/validate.js';
import { checkSpelling } from '../core/vocabulary.js';
import { dist, distAsync, DIST_METRICS, type DistInput, type DistMetric } from '../costs/index.js';
import { wasserstein1d, wasserstein1dAsync } from '../lp/solver-1d.js';
import { commonDType, inDType, sampleTensor, type SampleInput } from '../lp/sample-args.js';
import { callDevice } from '../backend/index.js';
import { buresWasserstein } from './gaussian.js';
import { total, weights } from './problem.js';
import type { Tensor } from '../tensor/tensor.js';
import { SampleResult } from './sample-result.js';
import { solve, solveAsync, type SolveAsyncOptions, type SolveOptions } from './solve.js';
import { lazySolve, lazySolveAsync, type LazySolveOptions } from './lazy.js';

export interface SolveSampleOptions extends SolveOptions {
  /** Ground cost between the samples (default 'sqeuclidean', as POT). */
  metric?: DistMetric;
  /** Never store the cost matrix nor the plan: Sinkhorn over cost tiles recomputed from the coordinates (O(n + m) memory). */
  lazy?: boolean;
  /** Rows per cost tile of the lazy solver (default: sized by the kernel for the cache). */
  batchSize?: number;
}
export interface SolveSampleAsyncOptions extends SolveSampleOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED. */
  signal?: AbortSignal;
  /**
   * Entropic Sinkhorn on the CPU (lazy or dense, balanced): called on the event loop (about every 50 ms while
   * the kernel runs, and once more before the promise resolves) with { iter, err } of the newest error
   * check. A throw from it stops the solve and rejects the promise with that error.
   */
  onProgress?: (p: { iter: number; err: number }) => void;
}

const SOLVE_KEYS = ['reg', 'regType', 'unbalanced', 'unbalancedType', 'method', 'maxIter', 'tol', 'grad', 'epsScaling'] as const;
const KEYS = [...SOLVE_KEYS, 'metric', 'lazy', 'batchSize'] as const;

/** POT's method '1d': |x - y|^p per dimension, p from the metric (sqeuclidean: 2; euclidean, cityblock: 1). */
function oneDimP(fn: string, metric: DistMetric): number {
  if (metric === 'sqeuclidean') return 2;
  if (metric === 'euclidean' || metric === 'cityblock') return 1;
  return fail('ERR_OT_ARG', `${fn}: method '1d' takes metric 'sqeuclidean', 'euclidean' or 'cityblock', got ${JSON.stringify(metric)}`);
}

type Route = { kind: 'dense'; metric: DistMetric; solveOpts: SolveOptions } | { kind: '1d'; p: number } | { kind: 'gaussian'; reg: number } | { kind: 'lazy'; lazyOpts: LazySolveOptions };

function route(fn: string, opts: SolveSampleOptions | undefined, keys: readonly string[]): Route {
  checkOptions(fn, opts, keys);
  const o = opts ?? {};
  const metric = checkSpelling(fn, 'metric', o.metric ?? 'sqeuclidean', DIST_METRICS);
  if (o.lazy !== undefined && typeof o.lazy !== 'boolean') fail('ERR_OT_ARG', `${fn}: lazy must be a boolean, got ${JSON.stringify(o.lazy)}`);
  const method = o.method;
  if (typeof method === 'string' && method.toLowerCase() === '1d') {
    if (o.lazy === true) fail('ERR_OT_ARG', `${fn}: method '1d' solves each dimension exactly and takes no lazy option, got lazy: true`);
    for (const k of ['reg', 'unbalanced', 'grad', 'batchSize'] as const) {
      if (o[k] !== undefined && o[k] !== null) fail('ERR_OT_ARG', `${fn}: method '1d' (exact OT per dimension) takes no ${k}, got ${JSON.stringify(o[k])}`);
    }
    return { kind: '1d', p: oneDimP(fn, metric) };
  }
  if (typeof method === 'string' && method.toLowerCase() === 'gaussian') {
    if (metric !== 'sqeuclidean') fail('ERR_OT_ARG', `${fn}: method 'gaussian' (Bures-Wasserstein) takes metric 'sqeuclidean' only, got ${JSON.stringify(metric)}`);
    for (const k of ['lazy', 'unbalanced', 'batchSize', 'regType', 'epsScaling', 'grad'] as const) {
      if (o[k] !== undefined && o[k] !== null && o[k] !== false) fail('ERR_OT_ARG', `${fn}: method 'gaussian' (a closed form) takes no ${k}, got ${JSON.stringify(o[k])}`);
    }
    const reg = o.reg === undefined || o.reg === null ? 1e-6 : o.reg;
    if (typeof reg !== 'number' || !Number.isFinite(reg) || reg < 0) fail('ERR_OT_VALUE', `${fn}: reg (added to the covariances) must be a finite number >= 0, got ${JSON.stringify(reg)}`);
    return { kind: 'gaussian', reg };
  }
  if (o.lazy === true) {
    const { lazy: _lazy, metric: _metric, ...rest } = o;
    return { kind: 'lazy', lazyOpts: { ...rest, metric } as LazySolveOptions };
  }
  if (o.batchSize !== undefined) fail('ERR_OT_ARG', `${fn}: batchSize applies to lazy solves (lazy: true), got batchSize ${JSON.stringify(o.batchSize)} without it`);
  const solveOpts: SolveOptions = {};
  for (const k of SOLVE_KEYS) if (o[k] !== undefined) (solveOpts as Record<string, unknown>)[k] = o[k];
  return { kind: 'dense', metric, solveOpts };
}

function isOptions(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !('shape' in (v as object));
}

// POT's positional (xA, xB, a, b, ...) with a and b optional: solveSample(xA, xB, { reg }) reads the object as options.
function splitArgs<O>(aIn: unknown, bIn: unknown, opts: O | undefined): [unknown, unknown, O | undefined] {
  if (opts === undefined && bIn === undefined && isOptions(aIn)) return [undefined, undefined, aIn as O];
  return [aIn, bIn, opts];
}

/** method 'gaussian': the squared Bures-Wasserstein distance of the fitted Gaussians, weighted by a and b. */
function gaussian(fn: string, xAIn: unknown, xBIn: unknown, aIn: unknown, bIn: unknown, reg: number): SampleResult {
  const xA0 = sampleTensor(fn, 'xA', xAIn, [2]), xB0 = sampleTensor(fn, 'xB', xBIn, [2]);
  const device = callDevice(fn, [['xA', xA0], ['xB', xB0], ['a', aIn], ['b', bIn]]);
  if (device !== 'cpu') fail('ERR_OT_DEVICE', `${fn}: method 'gaussian' runs on the CPU only for now, got ${device} tensors`);
  const [n, d] = xA0.shape as [number, number];
  const [m, dB] = xB0.shape as [number, number];
  if (d !== dB) fail('ERR_OT_SHAPE', `${fn}: xA and xB must have the same number of columns, got [${n}, ${d}] and [${m}, ${dB}]`);
  const wa = weights(fn, 'a', aIn, n, 'rows in xA'), wb = weights(fn, 'b', bIn, m, 'rows in xB');
  if (!(total(wa.data) > 0) || !(total(wb.data) > 0)) fail('ERR_OT_VALUE', `${fn}: a and b must have a positive sum for method 'gaussian'`);
  const dtype = commonDType(xA0, xB0);
  const value = buresWasserstein(inDType(xA0, dtype), inDType(xB0, dtype), wa.data, wb.data, reg);
  return new SampleResult({ value, valueLinear: value, plan: null, lazyPlan: null, potentials: null, status: 'converged', nIter: 0 });
}

function oneD(value: Tensor): SampleResult {
  return new SampleResult({ value, valueLinear: value, plan: null, lazyPlan: null, potentials: null, status: 'converged', nIter: 0 });
}

/**
 * Optimal transport between the samples xA [n, d] and xB [m, d] with weights a, b (uniform when
 * omitted), POT's ot.solve_sample. By default M = dist(xA, xB, { metric }) and the problem is ot.solve's,
 * with all its options (reg, regType, unbalanced, unbalancedType, maxIter, tol, grad, epsScaling); gradients
 * reach xA and xB through dist. `method: '1d'`: the exact 1-D distance W_p^p of each dimension
 * (p = 2 for 'sqeuclidean', 1 for 'euclidean' / 'cityblock'), value [d]. `method: 'gaussian'`: the squared
 * Bures-Wasserstein distance between the Gaussians fitted to the weighted clouds (covariances + reg·I,
 * reg default 1e-6), differentiable w.r.t. xA, xB; POT ignores a and b there (its weights are uniform), this
 * uses them. `lazy: true` (reg > 0, balanced,
 * regType 'KL'): log-domain Sinkhorn over cost tiles recomputed from the coordinates, O(n + m) memory;
 * res.plan is null and res.lazyPlan.rows(i0, i1) gives plan rows; value's envelope gradient reaches xA, xB, a, b.
 * @example
 * const xA = ot.randn([500, 2], { seed: 0, requiresGrad: true }), xB = ot.randn([400, 2], { seed: 1 });
 * const res = ot.solveSample(xA, xB, { reg: 0.1 });
 * res.value.backward();   // xA.grad
 * const lazy = ot.solveSample(xA, xB, { reg: 0.1, lazy: true });
 * const firstRows = lazy.lazyPlan!.rows(0, 10);   // [10, 400]
 */
export function solveSample(xA: DistInput, xB: DistInput, a?: Tensor | null, b?: Tensor | null, opts?: SolveSampleOptions): SampleResult;
export function solveSample(xA: DistInput, xB: DistInput, opts: SolveSampleOptions): SampleResult;
export function solveSample(xA: DistInput, xB: DistInput, aIn?: unknown, bIn?: unknown, optsIn?: SolveSampleOptions): SampleResult {
  const fn = 'solveSample';
  const [a, b, opts] = splitArgs<SolveSampleOptions>(aIn, bIn, optsIn);
  const r = route(fn, opts, KEYS);
  if (r.kind === '1d') {
    const w = wasserstein1d(xA as SampleInput, xB as SampleInput, { uWeights: a as SampleInput | null, vWeights: b as SampleInput | null, p: r.p });
    return oneD(w);
  }
  if (r.kind === 'gaussian') return gaussian(fn, xA, xB, a, b, r.reg);
  if (r.kind === 'lazy') return lazySolve(xA, xB, a, b, r.lazyOpts, fn);
  return SampleResult.of(solve(dist(xA, xB, { metric: r.metric }), a as Tensor | null, b as Tensor | null, r.solveOpts));
}

/**
 * {@link solveSample} off the event loop (dist, the iterations and the 1-D sorts run on the libuv pool); same result.
 * @example
 * const res = await ot.solveSampleAsync(xA, xB, { reg: 0.1, lazy: true, signal: AbortSignal.timeout(5000) });
 */
export function solveSampleAsync(xA: DistInput, xB: DistInput, a?: Tensor | null, b?: Tensor | null, opts?: SolveSampleAsyncOptions): Promise<SampleResult>;
export function solveSampleAsync(xA: DistInput, xB: DistInput, opts: SolveSampleAsyncOptions): Promise<SampleResult>;
export async function solveSampleAsync(xA: DistInput, xB: DistInput, aIn?: unknown, bIn?: unknown, optsIn?: SolveSampleAsyncOptions): Promise<SampleResult> {
  const fn = 'solveSampleAsync';
  const [a, b, opts] = splitArgs<SolveSampleAsyncOptions>(aIn, bIn, optsIn);
  const r = route(fn, opts, [...KEYS, 'signal', 'onProgress']);
  const signal = opts?.signal;
  const onProgress = checkOnProgress(fn, opts?.onProgress);
  if (onProgress !== undefined && (r.kind === '1d' || r.kind === 'gaussian')) {
    fail('ERR_OT_ARG', `${fn}: onProgress is reported by the Sinkhorn iterations (reg > 0); method '${r.kind}' has none`);
  }
  if (r.kind === '1d') {
    const w = await wasserstein1dAsync(xA as SampleInput, xB as SampleInput, { uWeights: a as SampleInput | null, vWeights: b as SampleInput | null, p: r.p, signal });
    return oneD(w);
  }
  if (r.kind === 'gaussian') return gaussian(fn, xA, xB, a, b, r.reg);
  if (r.kind === 'lazy') return lazySolveAsync(xA, xB, a, b, { ...r.lazyOpts, signal }, fn);
  const M = await distAsync(xA, xB, { metric: r.metric, signal });
  const solveOpts: SolveAsyncOptions = { ...r.solveOpts, signal, onProgress };
  return SampleResult.of(await solveAsync(M, a as Tensor | null, b as Tensor | null, solveOpts));
}
