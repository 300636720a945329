// POT's exact-OT functions with POT's argument order (a, b, M): ot.emd → the plan, ot.emd2 → the
// value <M, plan> with emd2's gradient (dM = plan, da, db = centred duals), and their async twins.
// They run ot.solve's exact method with POT's numItermax default (100000).
import { checkInteger, checkOptions } from '../core/validate.js';
import { EMD_MAX_ITER, exactValueOnly, exactValueOnlyAsync, solveExact, solveExactAsync } from '../solvers/methods/exact.js';
import { costProblem } from '../solvers/problem.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorInput, WeightsInput } from '../tensor/input.js';

export interface EmdOptions {
  /** POT's numItermax: the network simplex stops after maxIter - 1 pivots (default 100000), with status 'max_iter' and a warning. */
  maxIter?: number;
}
export interface EmdAsyncOptions extends EmdOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED; the kernel polls the signal between pivot blocks. */
  signal?: AbortSignal;
}

function prepare(fn: string, a: unknown, b: unknown, M: unknown, opts: EmdAsyncOptions | undefined, keys: readonly string[]) {
  checkOptions(fn, opts, keys);
  const c = costProblem(fn, M, a, b);
  return { c, maxIter: checkInteger(fn, 'maxIter', opts?.maxIter ?? EMD_MAX_ITER, 1, Number.MAX_SAFE_INTEGER) };
}

/**
 * The optimal plan [n, m] of exact OT between a and b (null/undefined: uniform) for the cost M (POT:
 * ot.emd), by the network simplex; a and b must agree in mass to 1.5e-6 (b is scaled to a's mass).
 * The plan is a vertex of the transport polytope: at most n + m - 1 nonzeros. Not differentiable
 * (use {@link emd2} or ot.solve for gradients).
 * @example
 * const M = ot.dist(xs, xt);
 * const G = ot.emd(ot.unif(xs.shape[0]), ot.unif(xt.shape[0]), M);
 */
export function emd(a: WeightsInput, b: WeightsInput, M: TensorInput, opts?: EmdOptions): Tensor {
  const { c, maxIter } = prepare('emd', a, b, M, opts, ['maxIter']);
  return solveExact(c, maxIter, 'detach').plan;
}

/**
 * The exact OT value <M, plan> (POT: ot.emd2), a scalar tensor in M's dtype. Its gradient is POT's:
 * d/dM = plan, d/da = u - mean(u), d/db = v - mean(v) for the duals (u, v). Exact duals are not unique
 * when the problem is degenerate (ties in M, or partial sums of a equal to partial sums of b): the
 * gradient w.r.t. a and b is then one valid supergradient among many.
 * @example
 * const M = ot.dist(xs, xt).requiresGrad_();
 * const W = ot.emd2(a, b, M);
 * W.backward();   // M.grad is the optimal plan
 */
export function emd2(a: WeightsInput, b: WeightsInput, M: TensorInput, opts?: EmdOptions): Tensor {
  const { c, maxIter } = prepare('emd2', a, b, M, opts, ['maxIter']);
  return exactValueOnly(c, maxIter);
}

/**
 * {@link emd} off the event loop; `signal` aborts it.
 * @example
 * const G = await ot.emdAsync(a, b, M, { signal: AbortSignal.timeout(1000) });
 */
export async function emdAsync(a: WeightsInput, b: WeightsInput, M: TensorInput, opts?: EmdAsyncOptions): Promise<Tensor> {
  const { c, maxIter } = prepare('emdAsync', a, b, M, opts, ['maxIter', 'signal']);
  return (await solveExactAsync(c, maxIter, 'detach', opts?.signal)).plan;
}

/**
 * {@link emd2} off the event loop; `signal` aborts it. Same value and gradient.
 * @example
 * const W = await ot.emd2Async(a, b, M);
 */
export async function emd2Async(a: WeightsInput, b: WeightsInput, M: TensorInput, opts?: EmdAsyncOptions): Promise<Tensor> {
  const { c, maxIter } = prepare('emd2Async', a, b, M, opts, ['maxIter', 'signal']);
  return exactValueOnlyAsync(c, maxIter, opts?.signal);
}
