// Lazy entropic OT between point clouds (POT: ot.solve_sample(lazy=True), empirical_sinkhorn with
// isLazy): log-domain Sinkhorn whose squared Euclidean cost is recomputed from the coordinates in tiles
// by the native kernel, so memory stays O(n + m) in the forward and the backward. The plan is never
// stored: lazyPlan.rows(i0, i1) recomputes rows from the points and the potentials. The Sinkhorn
// divergence of large clouds calls lazyTransportCost: the same solve, its <C, plan> with the implicit gradient.
import { backendFor, callDevice, type Backend } from '../backend/index.js';
import { checkOnProgress, withProgress, type OnProgress } from '../core/progress.js';
import { checkInteger, checkOptions, checkPositive, fail } from '../core/validate.js';
import { warn } from '../core/warnings.js';
import type { DistInput } from '../costs/index.js';
import { commonDType, inDType, sampleTensor, wordValueError } from '../lp/sample-args.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { LazySinkhornInput, LazySinkhornOutput } from '../backend/types.js';
import { total, weights } from './problem.js';
import { SampleResult, type LazyPlan } from './sample-result.js';

export interface LazySolveOptions {
  /** Entropic regularisation, > 0 (required). */
  reg: number;
  /** Only 'KL' (the default): reg·KL(plan ‖ a bᵀ). */
  regType?: 'KL';
  /** Only 'sqeuclidean' (the default): the cost |x - y|^2. */
  metric?: 'sqeuclidean';
  /** Sinkhorn iterations (default 1000, as POT). */
  maxIter?: number;
  /** Stop when sum_i |plan 1 - a|_i <= tol, checked every 10 iterations (POT's lazy rule; default 1e-9). */
  tol?: number;
  /** 'envelope' (default: value's gradient at the optimum, the only mode that stays O(n + m)) or 'detach'. */
  grad?: 'envelope' | 'detach';
  /** Columns per cost tile (default: sized by the kernel for the cache); a speed knob, the result does not depend on it. */
  batchSize?: number;
}
export interface LazySolveAsyncOptions extends LazySolveOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED; the kernel stops within a pass over the points. */
  signal?: AbortSignal;
  /**
   * Called on the event loop (about every 50 ms while the kernel runs, and once more before the promise
   * resolves) with the newest error check: iteration index and marginal error sum_i |plan 1 - a|_i. A throw
   * from it stops the solve and rejects the promise with that error.
   */
  onProgress?: (p: { iter: number; err: number }) => void;
}

const KEYS = ['reg', 'regType', 'metric', 'maxIter', 'tol', 'grad', 'batchSize', 'unbalanced', 'unbalancedType', 'method', 'epsScaling'] as const;

interface Prepared {
  be: Backend;
  pb: LazySinkhornInput;
  detach: boolean;
}

function unavailable(fn: string, what: string): never {
  return fail('ERR_OT_ARG', `${fn}: lazy: true ${what}`);
}

function prepare(fn: string, xAIn: unknown, xBIn: unknown, aIn: unknown, bIn: unknown, o: LazySolveAsyncOptions, keys: readonly string[]): Prepared {
  if (o === undefined || o === null || typeof o !== 'object') fail('ERR_OT_ARG', `${fn}: options { reg, ... } are required for lazy: true, got ${String(o)}`);
  checkOptions(fn, o, keys);
  const any = o as unknown as Record<string, unknown>;
  if (any.reg === undefined || any.reg === null || any.reg === 0) unavailable(fn, 'needs reg > 0 (entropic OT); exact lazy OT is not available, omit lazy');
  const reg = checkPositive(fn, 'reg', o.reg);
  if (any.unbalanced !== undefined && any.unbalanced !== null) unavailable(fn, `solves balanced OT only; got unbalanced ${JSON.stringify(any.unbalanced)} (omit lazy for unbalanced OT)`);
  if (any.epsScaling !== undefined && any.epsScaling !== false) unavailable(fn, 'does not take epsScaling');
  if (any.method !== undefined && String(any.method).toLowerCase() !== 'sinkhorn_log') unavailable(fn, `runs the log-domain Sinkhorn ('sinkhorn_log'), got method ${JSON.stringify(any.method)}`);
  if ((o.regType ?? 'KL') !== 'KL') unavailable(fn, `takes regType 'KL' only, got ${JSON.stringify(o.regType)}`);
  if ((o.metric ?? 'sqeuclidean') !== 'sqeuclidean') unavailable(fn, `takes metric 'sqeuclidean' only, got ${JSON.stringify(o.metric)}`);
  const grad = o.grad ?? 'envelope';
  if (grad !== 'envelope' && grad !== 'detach') {
    unavailable(fn, `differentiates by 'envelope' (or 'detach'): 'autodiff' and 'last_step' would store every iteration's plan; got grad ${JSON.stringify(grad)}`);
  }
  const maxIter = o.maxIter === undefined ? 1000 : checkInteger(fn, 'maxIter', o.maxIter, 1, 2 ** 40);
  const tol = o.tol ?? 1e-9;
  if (typeof tol !== 'number' || !(tol >= 0)) fail('ERR_OT_ARG', `${fn}: tol must be a number >= 0, got ${JSON.stringify(tol)}`);
  const tile = o.batchSize === undefined ? 0 : checkInteger(fn, 'batchSize', o.batchSize, 1, 2 ** 30);

  if (xBIn === undefined || xBIn === null) unavailable(fn, 'needs the samples xA and xB (a precomputed cost matrix cannot be lazy)');
  const xA0 = sampleTensor(fn, 'xA', xAIn, [2]);
  const xB0 = sampleTensor(fn, 'xB', xBIn, [2]);
  const device = callDevice(fn, [['xA', xA0], ['xB', xB0], ['a', aIn], ['b', bIn]]);
  const be = backendFor(device);
  if (be.lazySinkhorn === undefined) fail('ERR_OT_DEVICE', `${fn}: lazy: true runs on the CPU only for now, got ${device} tensors`);
  const [n, d] = xA0.shape as [number, number];
  const [m, dB] = xB0.shape as [number, number];
  if (d !== dB) fail('ERR_OT_SHAPE', `${fn}: xA and xB must have the same number of columns, got [${n}, ${d}] and [${m}, ${dB}]`);
  const wa = weights(fn, 'a', aIn, n, 'rows in xA');
  const wb = weights(fn, 'b', bIn, m, 'rows in xB');
  const ma = total(wa.data), mb = total(wb.data);
  if (!(ma > 0) || !(mb > 0) || Math.abs(ma - mb) > 1e-6 * Math.max(ma, mb)) {
    fail('ERR_OT_VALUE', `${fn}: a and b must carry the same positive mass for balanced OT, got ${ma} and ${mb}`);
  }
  const a0 = aIn === undefined || aIn === null ? null : wa.t;
  const b0 = bIn === undefined || bIn === null ? null : wb.t;
  const dtype: DType = commonDType(xA0, xB0);
  const pb: LazySinkhornInput = {
    x: inDType(xA0, dtype), y: inDType(xB0, dtype), a: inDType(a0, dtype), b: inDType(b0, dtype),
    n, m, d, reg, maxIter, tol, tile,
  };
  return { be, pb, detach: grad === 'detach' };
}

/** Rows of the plan exp(f_i + g_j - |x_i - y_j|^2 / reg), recomputed from copies of the points. */
function lazyPlanOf(fn: string, pb: LazySinkhornInput, f: Float64Array, g: Float64Array): LazyPlan {
  const { n, m, d, reg } = pb;
  const dtype = pb.x.dtype;
  const x = Float64Array.from(pb.x.data), y = Float64Array.from(pb.y.data);
  return {
    shape: [n, m],
    rows(i0: number, i1: number): Tensor {
      const lo = checkInteger(`${fn} lazyPlan.rows`, 'i0', i0, 0, n - 1);
      const hi = checkInteger(`${fn} lazyPlan.rows`, 'i1', i1, lo + 1, n);
      const out = allocate(dtype, (hi - lo) * m);
      for (let i = lo; i < hi; i++) {
        for (let j = 0; j < m; j++) {
          let c = 0;
          for (let k = 0; k < d; k++) {
            const t = x[i * d + k]! - y[j * d + k]!;
            c += t * t;
          }
          out[(i - lo) * m + j] = Math.exp(f[i]! + g[j]! - c / reg);
        }
      }
      return new Tensor(out, [hi - lo, m]);
    },
  };
}

function warnStatus(fn: string, p: Prepared, out: LazySinkhornOutput): void {
  if (out.status === 'max_iter') {
    warn('OT_SINKHORN_MAX_ITER', `${fn}: Sinkhorn did not converge in ${p.pb.maxIter} iterations (marginal error above tol=${p.pb.tol}); increase maxIter or reg`);
  } else if (out.status === 'diverged') {
    warn('OT_SINKHORN_DIVERGED', `${fn}: Sinkhorn diverged (non-finite potentials); check the points' scale against reg`);
  }
  if (!out.linearGradConverged) {
    warn('OT_SINKHORN_MAX_ITER', `${fn}: the transport cost's gradient (conjugate gradients) did not reach its tolerance in ${p.pb.maxIter} steps; increase maxIter or reg`);
  }
}

function finish(fn: string, p: Prepared, out: LazySinkhornOutput): SampleResult {
  warnStatus(fn, p, out);
  const dtype = p.pb.x.dtype;
  const pot = (v: Float64Array): Tensor => new Tensor(dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v), [v.length]);
  return new SampleResult({
    value: p.detach ? out.value.detach() : out.value,
    valueLinear: out.valueLinear,
    plan: null,
    lazyPlan: lazyPlanOf(fn, p.pb, out.f, out.g),
    potentials: [pot(out.f), pot(out.g)],
    status: out.status,
    nIter: out.nIter,
  });
}

function call<R>(fn: string, p: Prepared, run: () => R): R {
  try {
    return run();
  } catch (e) {
    return wordValueError(fn, e, [['xA', p.pb.x], ['xB', p.pb.y]], [['a', p.pb.a], ['b', p.pb.b]]);
  }
}

/**
 * Balanced entropic OT between xA [n, d] and xB [m, d] (weights a, b, uniform when omitted) without
 * storing the cost or the plan: value = <C, plan> + reg·KL(plan ‖ a bᵀ) with C = |x - y|^2, its envelope
 * gradient w.r.t. xA, xB (and a, b: reg·(f − mean f), as ot.solve's 'envelope'), valueLinear = <C, plan>
 * (detached), potentials (f, g) with plan = exp(f_i + g_j − C_ij / reg), and lazyPlan for rows on demand.
 */
export function lazySolve(xA: DistInput, xB: DistInput, a: unknown, b: unknown, opts: LazySolveOptions, fn = 'lazySolve'): SampleResult {
  const p = prepare(fn, xA, xB, a, b, opts, KEYS);
  return finish(fn, p, call(fn, p, () => p.be.lazySinkhorn!(p.pb)));
}

/** {@link lazySolve} off the event loop; `signal` aborts it within a pass. */
export async function lazySolveAsync(xA: DistInput, xB: DistInput, a: unknown, b: unknown, opts: LazySolveAsyncOptions, fn = 'lazySolveAsync'): Promise<SampleResult> {
  const p = prepare(fn, xA, xB, a, b, opts, [...KEYS, 'signal', 'onProgress']);
  const onProgress = checkOnProgress(fn, opts.onProgress);
  if (onProgress !== undefined && p.pb.x.device !== 'cpu') fail('ERR_OT_DEVICE', `${fn}: onProgress is reported by the CPU kernel only for now, got ${p.pb.x.device} tensors`);
  return finish(fn, p, await runAsync(fn, p, opts.signal, onProgress));
}

async function runAsync(fn: string, p: Prepared, signal: AbortSignal | undefined, onProgress: OnProgress | undefined): Promise<LazySinkhornOutput> {
  try {
    return await withProgress(onProgress, signal, (slot, sig) => p.be.lazySinkhornAsync!(fn, p.pb, sig, slot));
  } catch (e) {
    return wordValueError(fn, e, [['xA', p.pb.x], ['xB', p.pb.y]], [['a', p.pb.a], ['b', p.pb.b]]);
  }
}

/**
 * The transport cost <C, plan> of the lazy entropic plan (POT's sinkhorn2 loss), differentiable w.r.t.
 * xA, xB (and a, b when they are tensors) by its implicit gradient: the limit of differentiating every
 * iteration, in O(n + m) memory (native/cpu/lazy_linear_grad.cc). `opts` as lazySolve's (grad aside).
 */
export function lazyTransportCost(fn: string, xA: DistInput, xB: DistInput, a: unknown, b: unknown, opts: LazySolveOptions): Tensor {
  const p = prepare(fn, xA, xB, a, b, opts, KEYS);
  p.pb.linearGrad = true;
  return transportCost(fn, p, call(fn, p, () => p.be.lazySinkhorn!(p.pb)));
}

/** valueLinear, refused when an input requires grad and the backend gave it no gradient (never a silent zero). */
function transportCost(fn: string, p: Prepared, out: LazySinkhornOutput): Tensor {
  warnStatus(fn, p, out);
  const { x, y, a, b } = p.pb;
  if ([x, y, a, b].some((t) => t !== null && t.requiresGrad) && !out.valueLinear.requiresGrad) {
    fail('ERR_OT_DEVICE', `${fn}: the gradient of the lazy transport cost is computed on the CPU only for now, got ${x.device} tensors`);
  }
  return out.valueLinear;
}

/** {@link lazyTransportCost} off the event loop; `signal` aborts it. */
export async function lazyTransportCostAsync(fn: string, xA: DistInput, xB: DistInput, a: unknown, b: unknown, opts: LazySolveAsyncOptions): Promise<Tensor> {
  const p = prepare(fn, xA, xB, a, b, opts, [...KEYS, 'signal']);
  p.pb.linearGrad = true;
  return transportCost(fn, p, await runAsync(fn, p, opts.signal, undefined));
}
