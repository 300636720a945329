// The entropic Wasserstein barycenter of histograms on one support (POT: ot.bregman.barycenter), by
// iterative Bregman projections in the log domain (POT's method 'sinkhorn_log', the same iterates as its
// default scaling method without its underflow at small reg): each step projects every histogram's
// coupling onto its marginal, then sets the barycenter to the weighted geometric mean of the others.
// Arguments are checked here; the iterations run in native/cpu/barycenter.cc (sync, or async on the pool).
import { checkFinite, checkInteger, checkNonNegative, checkOptions, checkPositive, fail } from '../core/validate.js';
import { warn } from '../core/warnings.js';
import { withCancelFlag } from '../core/cancel.js';
import { nativeBarycenter, type BarycenterBregmanOptions, type BarycenterBregmanOut } from '../backend/native-barycenter.js';
import { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/create.js';
import type { NestedArray } from '../tensor/tensor.js';

export interface BarycenterOptions {
  /** Weights of the histograms (default uniform); non-negative, one per column of A. */
  weights?: Tensor | readonly number[];
  /** Iterations (POT's numItermax, default 1000). */
  maxIter?: number;
  /** Stop when the spread of the projected marginals (POT's err) is below tol, checked every 10 iterations (default 1e-4). */
  tol?: number;
}

export interface BarycenterAsyncOptions extends BarycenterOptions {
  /** Aborts the solve (the promise rejects with ERR_OT_ABORTED). */
  signal?: AbortSignal;
}

function asMatrix(fn: string, name: string, v: unknown): Tensor {
  const t = v instanceof Tensor ? v : Array.isArray(v) ? tensor(v as NestedArray, { dtype: 'float64' }) : fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or nested arrays, got ${typeof v}`);
  if (t.ndim !== 2 || t.shape[0] === 0 || t.shape[1] === 0) fail('ERR_OT_SHAPE', `${fn}: ${name} must be a non-empty 2-d array, got shape [${t.shape.join(', ')}]`);
  checkFinite(fn, name, t.data);
  return t;
}

function resolve(fn: string, A: Tensor | NestedArray, M: Tensor | NestedArray, reg: number, opts: BarycenterAsyncOptions, allowed: readonly string[]): BarycenterBregmanOptions {
  checkOptions(fn, opts, allowed);
  const At = asMatrix(fn, 'A', A);
  const Mt = asMatrix(fn, 'M', M);
  const [n, k] = At.shape as [number, number];
  if (Mt.shape[0] !== n || Mt.shape[1] !== n) fail('ERR_OT_SHAPE', `${fn}: M must be [${n}, ${n}] for histograms of ${n} bins, got [${Mt.shape.join(', ')}]`);
  checkNonNegative(fn, 'A', At.data);
  checkPositive(fn, 'reg', reg);
  const maxIter = checkInteger(fn, 'maxIter', opts.maxIter ?? 1000, 1, 2 ** 31 - 1);
  const tol = opts.tol ?? 1e-4;
  if (typeof tol !== 'number' || !(tol >= 0)) fail('ERR_OT_VALUE', `${fn}: tol must be a number >= 0, got ${String(tol)}`);
  const w = opts.weights === undefined ? new Float64Array(k).fill(1 / k)
    : Float64Array.from(opts.weights instanceof Tensor ? opts.weights.data : (opts.weights as readonly number[]));
  if (w.length !== k) fail('ERR_OT_SHAPE', `${fn}: weights has ${w.length} entries but A has ${k} histograms (columns)`);
  checkFinite(fn, 'weights', w);
  checkNonNegative(fn, 'weights', w);

  const Md = Mt.dtype === At.dtype ? Mt.data : At.dtype === 'float64' ? Float64Array.from(Mt.data) : Float32Array.from(Mt.data);
  return { A: At.data, M: Md, w, n, k, reg, maxIter, tol };
}

function finish(fn: string, out: BarycenterBregmanOut, maxIter: number, tol: number, shape: number): Tensor {
  if (out.status === 'diverged') fail('ERR_OT_VALUE', `${fn}: the iterates became NaN or infinite at iteration ${out.nIter}; raise reg or check A and M`);
  if (out.status === 'max_iter') warn('OT_BARYCENTER_MAX_ITER', `${fn}: Bregman projections did not converge in ${maxIter} iterations (spread ${out.err} above tol=${tol}); increase maxIter or reg`);
  return new Tensor(out.bary, [shape]);
}

/**
 * The entropic barycenter [n] of the k histograms in the columns of A [n, k] for the cost M [n, n]
 * (POT: ot.bregman.barycenter(A, M, reg, weights)). A's columns should be histograms (non-negative,
 * same mass); zero bins are handled as POT does (log(A + 1e-16)).
 * @example
 * const A = ot.stack([a1, a2], 1);          // or nested arrays [n][k]
 * const bary = ot.bregman.barycenter(A, M, 1e-3, { weights: [0.5, 0.5] });
 */
export function barycenter(A: Tensor | NestedArray, M: Tensor | NestedArray, reg: number, opts: BarycenterOptions = {}): Tensor {
  const o = resolve('barycenter', A, M, reg, opts, ['weights', 'maxIter', 'tol']);
  return finish('barycenter', nativeBarycenter.barycenterBregman(o), o.maxIter, o.tol, o.n);
}

/** barycenter on the libuv pool (inputs copied); `signal` aborts it (rejects with ERR_OT_ABORTED). */
export function barycenterAsync(A: Tensor | NestedArray, M: Tensor | NestedArray, reg: number, opts: BarycenterAsyncOptions = {}): Promise<Tensor> {
  const fn = 'barycenterAsync';
  try {
    const o = resolve(fn, A, M, reg, opts, ['weights', 'maxIter', 'tol', 'signal']);
    // The async job copies its inputs: later writes to A or M do not reach the running solve.
    return withCancelFlag(fn, opts.signal, (cancel) => nativeBarycenter.barycenterBregmanAsync({ ...o, cancel })).then((out) => finish(fn, out, o.maxIter, o.tol, o.n));
  } catch (err) {
    return Promise.reject(err);
  }
}
