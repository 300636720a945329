// ot.solve's exact method (POT: ot.solve with reg omitted or 0, i.e. emd2 with the network simplex):
// its options, POT's mass rule, the backend's emd and the OTResult whose value carries emd2's gradient.
// ot.emd / ot.emd2 (lib/lp/) call the same solveExact with their own maxIter default.
import { backendFor, type EmdInput, type EmdOutput } from '../../backend/index.js';
import { checkInteger, checkOneOf, fail } from '../../core/validate.js';
import { checkSpelling, GRAD_MODES, REG_TYPES, type GradMode } from '../../core/vocabulary.js';
import { warn } from '../../core/warnings.js';
import { Tensor } from '../../tensor/tensor.js';
import { exactValue, type ExactParts } from '../exact-grad.js';
import { scalar } from '../grad-modes.js';
import { total, weights, type CostProblem, type SolveMethod, type Weights } from '../problem.js';
import { OTResult } from '../result.js';
import type { SolveAsyncOptions } from '../solve.js';

/** POT's ot.solve exact default (max_iter=None → 1e6); ot.emd / emd2 use numItermax=100000. */
export const SOLVE_MAX_ITER = 1_000_000;
export const EMD_MAX_ITER = 100_000;

/**
 * POT's check_marginals: np.testing.assert_almost_equal(sum(a), sum(b), decimal=6), i.e. the sums
 * may differ by less than 1.5e-6 (absolute). Both must be positive (POT would divide by zero).
 */
export function checkExactMasses(fn: string, sa: number, sb: number, which = ''): void {
  if (!(sa > 0) || !(sb > 0)) fail('ERR_OT_VALUE', `${fn}: a and b must have a positive total mass${which}, got sum(a) = ${sa} and sum(b) = ${sb}`);
  if (!(Math.abs(sa - sb) < 1.5e-6)) {
    fail('ERR_OT_VALUE', `${fn}: a and b must have the same total mass${which} (|sum(a) - sum(b)| < 1.5e-6, as POT), got sum(a) = ${sa} and sum(b) = ${sb}`);
  }
}

/** b scaled to a's mass (POT: b = b * a.sum() / b.sum()), so the kernel sees equal masses. */
export function scaledTo(b: Float64Array, sa: number, sb: number): Float64Array {
  return sa === sb ? b : b.map((x) => (x * sa) / sb);
}

/** One validated exact problem and the weight tensors its gradients go to. */
interface ExactProblem extends EmdInput {
  a: Weights;
  b: Weights;
  grad: GradMode;
}

function problem(c: CostProblem, maxIter: number, grad: GradMode, valueOnly = false): ExactProblem {
  const { fn, M, n, m } = c;
  const a = weights(fn, 'a', c.aIn, n, 'rows');
  const b = weights(fn, 'b', c.bIn, m, 'columns');
  const sa = total(a.data);
  const sb = total(b.data);
  checkExactMasses(fn, sa, sb);
  return { M, aData: a.data, bData: scaledTo(b.data, sa, sb), n, m, maxIter, valueOnly, a, b, grad };
}

function parts(c: CostProblem, p: ExactProblem, out: EmdOutput): ExactParts {
  return { device: c.device, M: p.M, a: p.a.t, b: p.b.t, plan: out.plan, u: out.u, v: out.v, B: 1, n: p.n, m: p.m };
}

function warnStatus(fn: string, p: ExactProblem, out: EmdOutput): void {
  if (out.status === 'max_iter') {
    warn('OT_EMD_MAX_ITER',
      `${fn}: the network simplex reached maxIter=${p.maxIter} before optimality (the plan may not meet the marginals); increase maxIter`);
  }
}

/** The OTResult of an exact solve: value = valueLinear = <M, plan>, both with emd2's gradient. */
function result(c: CostProblem, p: ExactProblem, out: EmdOutput): OTResult {
  warnStatus(c.fn, p, out);
  const dtype = p.M.dtype;
  const on = { device: c.device };
  const grads = parts(c, p, out);
  const detach = p.grad === 'detach';
  return new OTResult({
    status: out.status,
    nIter: out.nIter,
    value: exactValue('solve.exact', scalar(out.value, dtype), [], grads, detach),
    valueLinear: exactValue('solve.exact', scalar(out.value, dtype), [], grads, detach),
    plan: new Tensor(out.plan!, [p.n, p.m], on),
    potentials: [new Tensor(out.u, [p.n], on), new Tensor(out.v, [p.m], on)],
  });
}

/** Exact OT of a checked cost problem (ot.solve without reg, ot.emd, ot.emd2). */
export function solveExact(c: CostProblem, maxIter: number, grad: GradMode): OTResult {
  const p = problem(c, maxIter, grad);
  return result(c, p, backendFor(c.device).emd(c.fn, p));
}

/**
 * The value alone (POT: emd2), with emd2's gradient: the n x m plan is made only when M needs a
 * gradient (the solver itself keeps O(n + m) state), so a large M costs its own memory only.
 */
function valueOf(c: CostProblem, p: ExactProblem, out: EmdOutput): Tensor {
  warnStatus(c.fn, p, out);
  return exactValue('emd2', scalar(out.value, p.M.dtype), [], parts(c, p, out), false);
}

export function exactValueOnly(c: CostProblem, maxIter: number): Tensor {
  const p = problem(c, maxIter, 'autodiff', !c.M.requiresGrad);
  return valueOf(c, p, backendFor(c.device).emd(c.fn, p));
}

export async function exactValueOnlyAsync(c: CostProblem, maxIter: number, signal: AbortSignal | undefined): Promise<Tensor> {
  const p = problem(c, maxIter, 'autodiff', !c.M.requiresGrad);
  return valueOf(c, p, await backendFor(c.device).emdAsync(c.fn, p, signal));
}

export async function solveExactAsync(c: CostProblem, maxIter: number, grad: GradMode, signal: AbortSignal | undefined): Promise<OTResult> {
  const p = problem(c, maxIter, grad);
  return result(c, p, await backendFor(c.device).emdAsync(c.fn, p, signal));
}

/** ot.solve's options for exact OT: maxIter (POT's default 1e6), grad; regType and tol are read and ignored, as POT. */
function resolve(c: CostProblem, opts: SolveAsyncOptions | undefined): [number, GradMode] {
  const { fn } = c;
  checkSpelling(fn, 'regType', opts?.regType ?? 'KL', REG_TYPES);
  const maxIter = checkInteger(fn, 'maxIter', opts?.maxIter ?? SOLVE_MAX_ITER, 1, Number.MAX_SAFE_INTEGER);
  const grad = checkOneOf(fn, 'grad', opts?.grad ?? 'autodiff', GRAD_MODES);
  return [maxIter, grad];
}

/** Exact OT by the network simplex on the CPU (a cuda M is solved on the host, its results returned on cuda). */
export const exact: SolveMethod = {
  solve(c, opts) {
    const [maxIter, grad] = resolve(c, opts);
    return solveExact(c, maxIter, grad);
  },
  solveAsync(c, opts) {
    const [maxIter, grad] = resolve(c, opts);
    return solveExactAsync(c, maxIter, grad, opts?.signal);
  },
};
