// The entropic Wasserstein barycenter of histograms on one support (POT: ot.bregman.barycenter), by
// iterative Bregman projections in the log domain (POT's method 'sinkhorn_log', the same iterates as its
// default scaling method without its underflow at small reg): each step projects every histogram's
// coupling onto its marginal, then sets the barycenter to the weighted geometric mean of the others.
import { checkFinite, checkInteger, checkNonNegative, checkOptions, checkPositive, fail } from '../core/validate.js';
import { warn } from '../core/warnings.js';
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

function asMatrix(fn: string, name: string, v: unknown): Tensor {
  const t = v instanceof Tensor ? v : Array.isArray(v) ? tensor(v as NestedArray, { dtype: 'float64' }) : fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or nested arrays, got ${typeof v}`);
  if (t.ndim !== 2 || t.shape[0] === 0 || t.shape[1] === 0) fail('ERR_OT_SHAPE', `${fn}: ${name} must be a non-empty 2-d array, got shape [${t.shape.join(', ')}]`);
  checkFinite(fn, name, t.data);
  return t;
}

/** log Σ_t exp(x_t) over `len` values at `x[off + t * stride]`. */
function logSumExp(x: Float64Array, off: number, stride: number, len: number): number {
  let top = -Infinity;
  for (let t = 0; t < len; t++) top = Math.max(top, x[off + t * stride]!);
  if (top === -Infinity) return -Infinity;
  let s = 0;
  for (let t = 0; t < len; t++) s += Math.exp(x[off + t * stride]! - top);
  return top + Math.log(s);
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
  const fn = 'barycenter';
  checkOptions(fn, opts, ['weights', 'maxIter', 'tol']);
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

  // POT's quantities: Mr = -M / reg; logA; G and logKU [n, k] (column k of each is histogram k's).
  const Mr = Float64Array.from(Mt.data, (v) => -v / reg);
  const logA = Float64Array.from(At.data, (v) => Math.log(v + 1e-16));
  const G = new Float64Array(n * k);
  const logKU = new Float64Array(n * k);
  const logBar = new Float64Array(n);
  const f = new Float64Array(n);
  const row = new Float64Array(n);
  let converged = false;
  let iter = 0;
  for (; iter < maxIter; iter++) {
    logBar.fill(0);
    for (let h = 0; h < k; h++) {
      // f = logA[:, h] − LSE_j (Mr[i, j] + G[j, h])
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) row[j] = Mr[i * n + j]! + G[j * k + h]!;
        f[i] = logA[i * k + h]! - logSumExp(row, 0, 1, n);
      }
      // logKU[:, h] = LSE_i (Mr[i, j] + f[i])
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) row[i] = Mr[i * n + j]! + f[i]!;
        logKU[j * k + h] = logSumExp(row, 0, 1, n);
        logBar[j] = logBar[j]! + w[h]! * logKU[j * k + h]!;
      }
    }
    if (iter % 10 === 1) {
      // err = Σ_j std_h exp(G[j, h] + logKU[j, h]) (numpy's population std)
      let err = 0;
      for (let j = 0; j < n; j++) {
        let mean = 0;
        for (let h = 0; h < k; h++) mean += Math.exp(G[j * k + h]! + logKU[j * k + h]!);
        mean /= k;
        let v = 0;
        for (let h = 0; h < k; h++) v += (Math.exp(G[j * k + h]! + logKU[j * k + h]!) - mean) ** 2;
        err += Math.sqrt(v / k);
      }
      if (!Number.isFinite(err)) fail('ERR_OT_VALUE', `${fn}: the iterates became NaN or infinite at iteration ${iter}; raise reg or check A and M`);
      if (err < tol) {
        converged = true;
        break;
      }
    }
    for (let j = 0; j < n; j++) for (let h = 0; h < k; h++) G[j * k + h] = logBar[j]! - logKU[j * k + h]!;
  }
  if (!converged) warn('OT_BARYCENTER_MAX_ITER', `${fn}: Bregman projections did not converge in ${maxIter} iterations (spread above tol=${tol}); increase maxIter or reg`);
  const out = Float64Array.from(logBar, Math.exp);
  return new Tensor(At.dtype === 'float64' ? out : Float32Array.from(out), [n]);
}
