// Optimal transport between histograms (POT: ot.solve) and its async twin: POT's dispatcher. It
// checks the options' names and the cost matrix, then asks POT's questions — reg? unbalanced?
// regType? method? — and hands the call to one module of lib/solvers/methods/.
import { checkOnProgress } from '../core/progress.js';
import { checkOptions, checkPositive, fail } from '../core/validate.js';
import { alternatives, checkSpelling, REG_TYPES, UNBALANCED_TYPES, type EntropicRegType, type GradMode, type UnbalancedType } from '../core/vocabulary.js';
import { Tensor } from '../tensor/tensor.js';
import { exact } from './methods/exact.js';
import { exactTV } from './methods/exact-tv.js';
import type { EpsScalingOptions } from './eps-scaling.js';
import { mmUnbalancedKL, mmUnbalancedL2 } from './methods/mm-unbalanced.js';
import { quadraticBalanced, quadraticKL, quadraticTV } from './methods/quadratic.js';
import { sinkhorn } from './methods/sinkhorn.js';
import { unbalancedSinkhorn, unbalancedSinkhornL2, unbalancedSinkhornTV } from './methods/unbalanced-sinkhorn.js';
import { onHost } from './on-host.js';
import { costProblem, type CostProblem, type SolveMethod } from './problem.js';
import type { OTResult } from './result.js';
import type { TensorInput, WeightsInput } from '../tensor/input.js';

export interface SolveOptions {
  /** Regularisation strength: > 0 for entropic OT; omitted or 0 for exact OT (the network simplex, POT's emd2; unbalanced: KL and L2 by majorization-minimization, TV by the network simplex). */
  reg?: number;
  /** 'KL' (default, POT's default): reg * KL(plan || a b^T); 'entropy': reg * sum(plan log plan) (minus sum(plan) when unbalanced, as POT); 'L2': reg/2 ||plan||^2 (balanced) or reg/2 ||plan - a b^T||^2 (unbalanced). */
  regType?: EntropicRegType | 'L2';
  /** POT's unbalanced (reg_m): the strength of the marginal penalties, > 0, one number or [ua, ub]; omitted: balanced OT. */
  unbalanced?: number | [number, number] | null;
  /** POT's unbalanced_type: 'KL' (default), 'L2' or 'TV' (read only with `unbalanced`). */
  unbalancedType?: UnbalancedType;
  /** Reg annealing for entropic solves (true or { regInit?, decay? }): stages from regInit down to reg, each warm-started. */
  epsScaling?: boolean | EpsScalingOptions;
  /** POT's method; balanced entropic OT runs 'sinkhorn_log' (the default, as POT). */
  method?: string;
  /** Iteration cap: Sinkhorn iterations (default 1000; regType 'L2': 100000 MM iterations with unbalancedType 'L2', else 10000 dual-ascent iterations) or, for exact OT (also exact TV), network simplex pivots (default 1e6, as POT). */
  maxIter?: number;
  /** Stop when ||plan^T 1 - b||_2 < tol (unbalanced entropic: the change of logV), checked every 10 iterations (default 1e-9; MM: ||plan - previous||_F, 1e-12; regType 'L2' with a balanced, KL or TV marginal: the dual gradient's 2-norm, 1e-12; exact OT ignores it, as POT). */
  tol?: number;
  /** How gradients reach M, a, b (default 'autodiff'; unbalanced OT: 'envelope' or 'detach', default 'envelope'); see the README's solve section. Exact OT: any mode but 'detach' gives value POT's emd2 gradient. */
  grad?: GradMode;
}
export interface SolveAsyncOptions extends SolveOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED; the kernel stops within an iteration. */
  signal?: AbortSignal;
  /**
   * Balanced entropic Sinkhorn on the CPU (without epsScaling): called on the event loop (about every 50 ms
   * while the kernel runs, and once more before the promise resolves) with the newest error check, its
   * iteration index and ||plan^T 1 - b||_2. A throw from it stops the solve and rejects the promise with that error.
   */
  onProgress?: (p: { iter: number; err: number }) => void;
}

const KEYS = ['reg', 'regType', 'unbalanced', 'unbalancedType', 'method', 'maxIter', 'tol', 'grad', 'epsScaling'] as const;

/** The methods of balanced entropic OT, by POT's name (undefined: POT's default). */
const ENTROPIC_METHODS: Readonly<Record<string, SolveMethod>> = { sinkhorn_log: sinkhorn };

/** POT's questions, in POT's order: reg? unbalanced? regType? method? — the module that solves this call. */
function pick(fn: string, opts: SolveAsyncOptions | undefined): SolveMethod {
  const reg = opts?.reg;
  const isExact = reg === undefined || reg === null || reg === 0;
  if (!isExact) checkPositive(fn, 'reg', reg);
  // POT reads regType even for exact problems (ignoring it): a misspelling is still an error.
  const regType = checkSpelling(fn, 'regType', opts?.regType ?? 'KL', REG_TYPES);
  if (opts?.unbalanced !== undefined && opts.unbalanced !== null) return pickUnbalanced(fn, isExact, regType, opts);
  if (isExact) {
    // POT's exact branch has one solver (the network simplex); a method meant for Sinkhorn is a mistake here.
    if (opts?.method !== undefined) fail('ERR_OT_ARG', `${fn}: method applies to entropic OT (reg > 0); exact OT (reg omitted or 0) runs the network simplex, got method ${JSON.stringify(opts.method)}`);
    return exact;
  }
  if (regType === 'L2') {
    // POT's smooth_ot_dual: one solver, no method to choose.
    if (opts?.method !== undefined) fail('ERR_OT_ARG', `${fn}: method applies to entropic OT (regType 'KL' or 'entropy'); regType 'L2' runs the dual ascent, got method ${JSON.stringify(opts.method)}`);
    return onHost(quadraticBalanced);
  }
  const method = opts?.method ?? 'sinkhorn_log';
  const chosen = typeof method === 'string' ? ENTROPIC_METHODS[method.toLowerCase()] : undefined;
  if (chosen === undefined) {
    fail('ERR_OT_ARG', `${fn}: method must be ${alternatives(Object.keys(ENTROPIC_METHODS))} for entropic OT, got ${JSON.stringify(method)}`);
  }
  return chosen;
}

/**
 * Unbalanced problems, by POT's questions: exact KL / L2 → majorization-minimization (mm_unbalanced);
 * exact TV → the network simplex on a problem with one dummy row and column; entropic with KL, TV or L2
 * penalties → the Sinkhorn scaling iterations; regType 'L2' with L2 penalties → majorization-minimization,
 * with KL or TV penalties → block-coordinate ascent in the dual (the objectives POT's L-BFGS-B
 * minimises there). They have CPU kernels only: cuda tensors are solved on host copies (on-host.ts).
 */
function pickUnbalanced(fn: string, exact: boolean, regType: 'KL' | 'entropy' | 'L2', opts: SolveAsyncOptions): SolveMethod {
  return onHost(pickUnbalancedMethod(fn, exact, regType, opts));
}

function pickUnbalancedMethod(fn: string, exact: boolean, regType: 'KL' | 'entropy' | 'L2', opts: SolveAsyncOptions): SolveMethod {
  const type = checkSpelling(fn, 'unbalancedType', opts.unbalancedType ?? 'KL', UNBALANCED_TYPES);
  if (opts.method !== undefined && opts.method !== 'sinkhorn') {
    fail('ERR_OT_ARG', `${fn}: method must be omitted (or 'sinkhorn') for unbalanced OT, got ${JSON.stringify(opts.method)}`);
  }
  if (exact) {
    if (type === 'KL') return mmUnbalancedKL;
    return type === 'L2' ? mmUnbalancedL2 : exactTV;
  }
  if (regType !== 'L2') return type === 'KL' ? unbalancedSinkhorn : type === 'TV' ? unbalancedSinkhornTV : unbalancedSinkhornL2;
  return type === 'L2' ? mmUnbalancedL2 : type === 'KL' ? quadraticKL : quadraticTV;
}

function dispatch(
  fn: string, M: unknown, aIn: unknown, bIn: unknown, opts: SolveAsyncOptions | undefined, allowed: readonly string[],
): [CostProblem, SolveMethod] {
  checkOptions(fn, opts, allowed);
  const c = costProblem(fn, M, aIn, bIn);
  return [c, pick(fn, opts)];
}

function isOptions(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !(v instanceof Tensor) && !Array.isArray(v);
}

// POT's positional (M, a, b, ...) with a and b optional: solve(M, { reg }) reads the object as options.
function splitArgs<O>(aIn: unknown, bIn: unknown, opts: O | undefined): [unknown, unknown, O | undefined] {
  if (opts === undefined && bIn === undefined && isOptions(aIn)) return [undefined, undefined, aIn as O];
  return [aIn, bIn, opts];
}

/**
 * Optimal transport between histograms a and b (uniform when omitted) for the cost M, with POT's
 * semantics. Without reg (or reg 0): exact OT by the network simplex (POT's emd2): value =
 * valueLinear = <M, plan>, potentials are the LP duals (u, v), centred as POT, and value's gradient
 * is (plan, u - mean u, v - mean v) in every grad mode but 'detach'; a and b must agree in mass to
 * 1.5e-6 (POT's rule); on cuda, M is solved on the host and the results are cuda tensors.
 * With reg > 0: entropic OT (log-domain Sinkhorn iterates, value = <M, plan> +
 * reg·KL(plan || a b^T)). a and b must carry the same mass (relative 1e-6; b is scaled to a's exact
 * mass) unless `unbalanced` is given: then the marginals are penalised instead (KL, TV or L2; exact
 * problems with reg omitted for KL and L2; see the README's unbalanced section), and value is the
 * objective minimised. regType 'L2' (reg/2 ||P||^2 balanced, reg/2 ||P - a b^T||^2 unbalanced) gives
 * sparse plans. Gradients reach M, a and b according to `grad`: 'autodiff' (through every iteration),
 * 'envelope' (value only, at the optimum), 'last_step' (through one final iteration) or 'detach'.
 * The result is in M's dtype; `status` is 'max_iter' (with a warning) when tol was not reached.
 * With M (and a, b when given) on 'cuda' the iterations and every gradient mode run on the GPU and
 * all result tensors are cuda tensors; a and b are copied back once for the mass checks, and M's
 * values are not read back (a NaN shows as status 'diverged').
 * @example
 * const M = ot.dist(xs, xt);
 * const exact = ot.solve(M, a, b);               // network simplex: exact.plan has <= n + m - 1 nonzeros
 * const res = ot.solve(M, a, b, { reg: 0.03, grad: 'autodiff' });
 * res.value.backward();   // M.grad, a.grad, b.grad
 * console.log(res.value.item(), res.status, res.nIter);
 */
export function solve(M: TensorInput, a?: WeightsInput, b?: WeightsInput, opts?: SolveOptions): OTResult;
export function solve(M: TensorInput, opts: SolveOptions): OTResult;
export function solve(M: TensorInput, aIn?: unknown, bIn?: unknown, optsIn?: SolveOptions): OTResult {
  const [a, b, opts] = splitArgs<SolveOptions>(aIn, bIn, optsIn);
  const [c, method] = dispatch('solve', M, a, b, opts, KEYS);
  return method.solve(c, opts);
}

/**
 * {@link solve} off the event loop (the iterations run on the libuv thread pool); same result.
 * @example
 * const ac = new AbortController();
 * const res = await ot.solveAsync(M, a, b, { reg: 0.05, signal: ac.signal });
 */
export function solveAsync(M: TensorInput, a?: WeightsInput, b?: WeightsInput, opts?: SolveAsyncOptions): Promise<OTResult>;
export function solveAsync(M: TensorInput, opts: SolveAsyncOptions): Promise<OTResult>;
export async function solveAsync(M: TensorInput, aIn?: unknown, bIn?: unknown, optsIn?: SolveAsyncOptions): Promise<OTResult> {
  const [a, b, opts] = splitArgs<SolveAsyncOptions>(aIn, bIn, optsIn);
  const [c, method] = dispatch('solveAsync', M, a, b, opts, [...KEYS, 'signal', 'onProgress']);
  if (checkOnProgress('solveAsync', opts?.onProgress) !== undefined && method !== sinkhorn) {
    fail('ERR_OT_ARG', 'solveAsync: onProgress is reported by the balanced entropic Sinkhorn (reg > 0, no unbalanced); this problem runs another solver');
  }
  return method.solveAsync(c, opts);
}
