// ot.solve's majorization-minimization method for unbalanced OT (POT: ot.unbalanced.mm_unbalanced,
// Chapel et al. 2021): exact unbalanced OT (reg omitted) with KL or L2 marginal penalties, and the
// L2-regularised L2-penalised problem. The iterations run natively (native/cpu/mm_unbalanced.cc: one
// multiplicative update of the plan per iteration from POT's start a b^T, POT's stopping rule
// ||G - G_prev||_F < tol); the value, dual potentials and envelope gradient are formed here.
import { backendFor, type MmUnbalancedInput, type MmUnbalancedOutput } from '../../backend/index.js';
import { checkFiniteNumber, checkInteger, checkOneOf, fail } from '../../core/validate.js';
import { warn } from '../../core/warnings.js';
import { allocate } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CostProblem, SolveMethod } from '../problem.js';
import type { OTResult } from '../result.js';
import type { SolveAsyncOptions } from '../solve.js';
import { marginals, penaltyGrad, strengths, unbalancedResult, unbalancedWeights } from '../unbalanced.js';

interface Problem extends MmUnbalancedInput {
  a: Float64Array;
  b: Float64Array;
  Mv: ArrayLike<number>;
}

/** POT's total cost: <M, G> + penalties (+ reg times the regulariser against a b^T when reg > 0). */
function objective(p: Problem, G: ArrayLike<number>): [number, number] {
  const { n, m, a, b, Mv: M, reg, ua, ub } = p;
  const [r, c] = marginals(G, n, m);
  let lin = 0;
  let regTerm = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const g = G[i * m + j]!;
      lin += g * M[i * m + j]!;
      const q = a[i]! * b[j]!;
      // x log(x / y) is 0 at x = 0 (also where y = 0: no mass can go there).
      if (reg > 0) regTerm += p.div === 'KL' ? (g > 0 ? g * Math.log(g / q + 1e-16) : 0) + q - g : 0.5 * (g - q) * (g - q);
    }
  }
  const pen = (x: Float64Array, w: Float64Array): number => {
    let t = 0;
    for (let i = 0; i < w.length; i++) {
      t += p.div === 'KL' ? (x[i]! > 0 ? x[i]! * Math.log(x[i]! / w[i]! + 1e-16) : 0) + w[i]! - x[i]! : 0.5 * (x[i]! - w[i]!) ** 2;
    }
    return t;
  };
  return [lin + ua * pen(r, a) + ub * pen(c, b) + reg * regTerm, lin];
}

function resolve(c: CostProblem, opts: SolveAsyncOptions | undefined, div: 'KL' | 'L2'): Problem & { grad: 'envelope' | 'detach'; aT: Tensor; bT: Tensor } {
  const { fn, n, m } = c;
  const [ua, ub] = strengths(fn, opts!.unbalanced, false);
  // Exact problems: POT's mm_unbalanced defaults (1000). The regularised L2 problem is POT's
  // L-BFGS-B case (1000 quasi-Newton steps); MM needs up to ~25000 multiplicative steps for the same
  // optimum (tol 1e-12), so its default allows 100000 (it stops at tol).
  const maxIter = checkInteger(fn, 'maxIter', opts?.maxIter ?? ((opts?.reg ?? 0) > 0 ? 100000 : 1000), 1, 1e9);
  const tol = checkFiniteNumber(fn, 'tol', opts?.tol ?? 1e-12);
  if (tol < 0) fail('ERR_OT_VALUE', `${fn}: tol must be >= 0, got ${tol}`);
  const grad = checkOneOf(fn, 'grad', opts?.grad ?? 'envelope', ['envelope', 'detach'] as const);
  if (opts?.epsScaling !== undefined && opts.epsScaling !== false) fail('ERR_OT_ARG', `${fn}: epsScaling applies to entropic solves only (reg > 0, regType 'KL' or 'entropy')`);
  const [a, b] = unbalancedWeights(c);
  // M's finiteness is checked by the native pass.
  return {
    div, reg: opts?.reg ?? 0, ua, ub, maxIter, tol, a: a.data, b: b.data, aData: a.data, bData: b.data, M: c.M, Mv: c.M.data, n, m, grad,
    aT: a.t, bT: b.t,
  };
}

function result(c: CostProblem, p: ReturnType<typeof resolve>, sol: MmUnbalancedOutput): OTResult {
  const div = p.div;
  if (sol.status === 'max_iter') {
    warn('OT_UNBALANCED_MAX_ITER', `${c.fn}: unbalanced MM did not converge in ${p.maxIter} iterations (plan change above tol=${p.tol}); increase maxIter`);
  }
  const G = sol.plan;
  const [value, valueLinear] = objective(p, G);
  const plan = G;
  // Dual potentials: minus the penalties' derivatives at the plan's marginals, so that
  // f_i + g_j <= M_ij (+ reg's term) with equality on the plan's support (the KKT conditions).
  const [r, col] = marginals(G, p.n, p.m);
  const dual = (x: Float64Array, w: Float64Array, s: number): Float64Array => {
    const out = allocate(c.M.dtype, w.length) as Float64Array;
    for (let i = 0; i < w.length; i++) {
      const d = div === 'KL' ? -s * Math.log(x[i]! / w[i]!) : -s * (x[i]! - w[i]!);
      // A KL row or column without mass (zero weight, or a plan that underflowed) has no finite dual.
      out[i] = Number.isFinite(d) ? d : 0;
    }
    return out;
  };
  return unbalancedResult({
    M: c.M, a: p.aT, b: p.bT, n: p.n, m: p.m, value, valueLinear, plan,
    potentials: [dual(r, p.a, p.ua), dual(col, p.b, p.ub)], status: sol.status, nIter: sol.nIter, grad: p.grad,
    weightGrads: (rr, cc) => {
      const ga = penaltyGrad(div, rr, p.a, p.ua);
      const gb = penaltyGrad(div, cc, p.b, p.ub);
      if (p.reg > 0) {
        // reg/2 ||G - a b^T||^2 (L2) or reg KL(G || a b^T) (KL): d/da_i.
        for (let i = 0; i < p.n; i++) {
          let t = 0;
          for (let j = 0; j < p.m; j++) {
            const g = G[i * p.m + j]!;
            t += div === 'KL' ? p.b[j]! - (p.a[i]! > 0 ? g / p.a[i]! : 0) : -(g - p.a[i]! * p.b[j]!) * p.b[j]!;
          }
          ga[i] += p.reg * t;
        }
        for (let j = 0; j < p.m; j++) {
          let t = 0;
          for (let i = 0; i < p.n; i++) {
            const g = G[i * p.m + j]!;
            t += div === 'KL' ? p.a[i]! - (p.b[j]! > 0 ? g / p.b[j]! : 0) : -(g - p.a[i]! * p.b[j]!) * p.a[i]!;
          }
          gb[j] += p.reg * t;
        }
      }
      return [ga, gb];
    },
  });
}

function makeMethod(div: 'KL' | 'L2'): SolveMethod {
  return {
    solve(c, opts) {
      const p = resolve(c, opts, div);
      return result(c, p, backendFor('cpu').mmUnbalanced!(p));
    },
    async solveAsync(c, opts) {
      const p = resolve(c, opts, div);
      return result(c, p, await backendFor('cpu').mmUnbalancedAsync!(c.fn, p, opts?.signal));
    },
  };
}

/** Unbalanced OT by majorization-minimization with KL marginal penalties (POT: mm_unbalanced, div='kl'). */
export const mmUnbalancedKL: SolveMethod = makeMethod('KL');
/** The same with L2 penalties (POT: mm_unbalanced, div='l2'). */
export const mmUnbalancedL2: SolveMethod = makeMethod('L2');
