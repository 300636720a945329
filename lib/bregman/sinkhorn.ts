// POT's entropic-OT functions with POT's argument order (a, b, M, reg): ot.sinkhorn → the plan,
// ot.sinkhorn2 → the transport cost <M, plan> (POT's sinkhorn2 returns the linear part, without the
// entropy), and their async twins, over ot.solve's Sinkhorn. POT's default method 'sinkhorn' iterates
// the scalings u, v; ours iterates their logarithms (the same iterates, without overflow at small reg)
// with POT's stopping rule, so both stop at the same plan within tol.
import { checkOneOf, checkOptions, checkPositive, fail } from '../core/validate.js';
import { GRAD_MODES, type GradMode } from '../core/vocabulary.js';
import type { OTResult } from '../solvers/result.js';
import { solve, solveAsync } from '../solvers/solve.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorInput, WeightsInput } from '../tensor/input.js';

export type { WeightsInput } from '../tensor/input.js';

export interface SinkhornOptions {
  /** POT's method: 'sinkhorn' (default) or 'sinkhorn_log'; both run the log-domain iterates (see above). */
  method?: 'sinkhorn' | 'sinkhorn_log';
  /** POT's numItermax (default 1000). */
  maxIter?: number;
  /** POT's stopThr: stop when ||plan^T 1 - b||_2 < tol, checked every 10 iterations (default 1e-9). */
  tol?: number;
  /** How gradients reach M, a, b (default 'autodiff': through the iterations, as torch does through POT's loop). */
  grad?: GradMode;
}
export interface SinkhornAsyncOptions extends SinkhornOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED. */
  signal?: AbortSignal;
}

const KEYS = ['method', 'maxIter', 'tol', 'grad'] as const;

/** ot.solve's options for POT's (reg, numItermax, stopThr); reg must be > 0 (POT's sinkhorn has no exact case). */
function solveOptions(fn: string, reg: number, opts: SinkhornOptions | undefined, keys: readonly string[]) {
  checkOptions(fn, opts, keys);
  checkPositive(fn, 'reg', reg);
  checkOneOf(fn, 'method', opts?.method ?? 'sinkhorn', ['sinkhorn', 'sinkhorn_log'] as const);
  if (opts?.grad !== undefined) checkOneOf(fn, 'grad', opts.grad, GRAD_MODES);
  return { reg, maxIter: opts?.maxIter, tol: opts?.tol, grad: opts?.grad };
}

/** These return a bare tensor (no status to look at): a diverged solve is an error, never NaN values. */
function converged(fn: string, res: OTResult): OTResult {
  if (res.status === 'diverged') {
    fail('ERR_OT_VALUE', `${fn}: Sinkhorn diverged (non-finite values even in the log domain), so there is no plan to return; rescale M or increase reg`);
  }
  return res;
}

/**
 * The entropic OT plan [n, m] between a and b for the cost M (POT: ot.sinkhorn(a, b, M, reg)).
 * @example
 * const G = ot.sinkhorn([0.5, 0.5], [], M, 0.1);   // [] or null: uniform
 */
export function sinkhorn(a: WeightsInput, b: WeightsInput, M: TensorInput, reg: number, opts?: SinkhornOptions): Tensor {
  return converged('sinkhorn', solve(M, a as Tensor, b as Tensor, solveOptions('sinkhorn', reg, opts, KEYS))).plan;
}

/**
 * The transport cost <M, plan> of the entropic plan (POT: ot.sinkhorn2), a scalar tensor,
 * differentiable w.r.t. M, a and b.
 * @example
 * const loss = ot.sinkhorn2(null, null, ot.dist(xs, xt), 0.05);
 */
export function sinkhorn2(a: WeightsInput, b: WeightsInput, M: TensorInput, reg: number, opts?: SinkhornOptions): Tensor {
  return converged('sinkhorn2', solve(M, a as Tensor, b as Tensor, solveOptions('sinkhorn2', reg, opts, KEYS))).valueLinear;
}

/** {@link sinkhorn} off the event loop; `signal` aborts it. */
export async function sinkhornAsync(a: WeightsInput, b: WeightsInput, M: TensorInput, reg: number, opts?: SinkhornAsyncOptions): Promise<Tensor> {
  const o = solveOptions('sinkhornAsync', reg, opts, [...KEYS, 'signal']);
  return converged('sinkhornAsync', await solveAsync(M, a as Tensor, b as Tensor, { ...o, signal: opts?.signal })).plan;
}

/** {@link sinkhorn2} off the event loop; `signal` aborts it. */
export async function sinkhorn2Async(a: WeightsInput, b: WeightsInput, M: TensorInput, reg: number, opts?: SinkhornAsyncOptions): Promise<Tensor> {
  const o = solveOptions('sinkhorn2Async', reg, opts, [...KEYS, 'signal']);
  return converged('sinkhorn2Async', await solveAsync(M, a as Tensor, b as Tensor, { ...o, signal: opts?.signal })).valueLinear;
}
