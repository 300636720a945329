// ot.solve's majorization-minimization method for unbalanced OT (POT: ot.unbalanced.mm_unbalanced,
// Chapel et al. 2021): exact unbalanced OT (reg omitted) with KL or L2 marginal penalties, and the
// L2-regularised L2-penalised problem. Each iteration is one multiplicative update of the plan from
// its row and column sums, from POT's start a b^T, with POT's stopping rule ||G - G_prev||_F < tol.
import { checkFiniteNumber, checkInteger, checkOneOf, fail } from '../../core/validate.js';
import { warn } from '../../core/warnings.js';
import type { Status } from '../../core/vocabulary.js';
import { allocate } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CostProblem, SolveMethod } from '../problem.js';
import type { OTResult } from '../result.js';
import type { SolveAsyncOptions } from '../solve.js';
import { marginals, penaltyGrad, strengths, unbalancedResult, unbalancedWeights } from '../unbalanced.js';

interface Problem {
  div: 'KL' | 'L2';
  reg: number;
  ua: number;
  ub: number;
  maxIter: number;
  tol: number;
  a: Float64Array;
  b: Float64Array;
  M: ArrayLike<number>;
  n: number;
  m: number;
}

interface Solution {
  G: Float64Array;
  nIter: number;
  status: Status;
}

/** The update's fixed factor K (POT: K in mm_unbalanced), one entry per (i, j). */
function factor(p: Problem): Float64Array {
  const { n, m, a, b, M, reg, ua, ub } = p;
  const K = new Float64Array(n * m);
  if (p.div === 'KL') {
    const s = reg + ua + ub;
    const [r1, r2, r] = [ua / s, ub / s, reg / s];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        // c = a b^T when reg > 0; with reg = 0 POT's c^0 is 1.
        const c = reg > 0 ? (a[i]! * b[j]!) ** r : 1;
        K[i * m + j] = a[i]! ** r1 * b[j]! ** r2 * c * Math.exp(-M[i * m + j]! / s);
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const c = reg > 0 ? reg * a[i]! * b[j]! : 0;
        K[i * m + j] = Math.max(ua * a[i]! + ub * b[j]! + c - M[i * m + j]!, 0);
      }
    }
  }
  return K;
}

function iterate(p: Problem): Solution {
  const { n, m, a, b, reg, ua, ub } = p;
  const K = factor(p);
  let G = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) G[i * m + j] = a[i]! * b[j]!;
  let next = new Float64Array(n * m);
  const s = reg + ua + ub;
  const [r1, r2] = [ua / s, ub / s];
  for (let it = 0; it < p.maxIter; it++) {
    const [r, c] = marginals(G, n, m);
    let err = 0;
    for (let i = 0; i < n; i++) {
      const ri = p.div === 'KL' ? r[i]! ** r1 : ua * r[i]!;
      for (let j = 0; j < m; j++) {
        const k = i * m + j;
        const g = G[k]!;
        const x = p.div === 'KL'
          ? (K[k]! * g ** (r1 + r2)) / (ri * c[j]! ** r2 + 1e-16)
          : (K[k]! * g) / (ri + ub * c[j]! + reg * g + 1e-16);
        next[k] = x;
        err += (x - g) * (x - g);
      }
    }
    [G, next] = [next, G];
    if (!Number.isFinite(err)) return { G, nIter: it, status: 'diverged' };
    if (Math.sqrt(err) < p.tol) return { G, nIter: it, status: 'converged' };
  }
  return { G, nIter: p.maxIter - 1, status: 'max_iter' };
}

/** POT's total cost: <M, G> + penalties (+ reg times the regulariser against a b^T when reg > 0). */
function objective(p: Problem, G: Float64Array): [number, number] {
  const { n, m, a, b, M, reg, ua, ub } = p;
  const [r, c] = marginals(G, n, m);
  let lin = 0;
  let regTerm = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const g = G[i * m + j]!;
      lin += g * M[i * m + j]!;
      const q = a[i]! * b[j]!;
      if (reg > 0) regTerm += p.div === 'KL' ? g * Math.log(g / q + 1e-16) + q - g : 0.5 * (g - q) * (g - q);
    }
  }
  const pen = (x: Float64Array, w: Float64Array): number => {
    let t = 0;
    for (let i = 0; i < w.length; i++) t += p.div === 'KL' ? x[i]! * Math.log(x[i]! / w[i]! + 1e-16) + w[i]! - x[i]! : 0.5 * (x[i]! - w[i]!) ** 2;
    return t;
  };
  return [lin + ua * pen(r, a) + ub * pen(c, b) + reg * regTerm, lin];
}

function resolve(c: CostProblem, opts: SolveAsyncOptions | undefined, div: 'KL' | 'L2'): Problem & { grad: 'envelope' | 'detach'; aT: Tensor; bT: Tensor } {
  const { fn, n, m } = c;
  if (c.device !== 'cpu') fail('ERR_OT_DEVICE', `${fn}: unbalanced OT runs on the CPU only for now, got M on '${c.device}'`);
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
  const M = c.M.data;
  for (let k = 0; k < M.length; k++) {
    if (!Number.isFinite(M[k]!)) fail('ERR_OT_VALUE', `${fn}: M must be finite, but entry ${k} is ${M[k]}`);
  }
  return { div, reg: opts?.reg ?? 0, ua, ub, maxIter, tol, a: a.data, b: b.data, M, n, m, grad, aT: a.t, bT: b.t };
}

function run(c: CostProblem, opts: SolveAsyncOptions | undefined, div: 'KL' | 'L2'): OTResult {
  const p = resolve(c, opts, div);
  const sol = iterate(p);
  if (sol.status === 'max_iter') {
    warn('OT_UNBALANCED_MAX_ITER', `${c.fn}: unbalanced MM did not converge in ${p.maxIter} iterations (plan change above tol=${p.tol}); increase maxIter`);
  }
  const [value, valueLinear] = objective(p, sol.G);
  const plan = allocate(c.M.dtype, p.n * p.m);
  plan.set(sol.G);
  // Dual potentials: minus the penalties' derivatives at the plan's marginals, so that
  // f_i + g_j <= M_ij (+ reg's term) with equality on the plan's support (the KKT conditions).
  const [r, col] = marginals(sol.G, p.n, p.m);
  const dual = (x: Float64Array, w: Float64Array, s: number): Float64Array => {
    const out = allocate(c.M.dtype, w.length) as Float64Array;
    for (let i = 0; i < w.length; i++) out[i] = div === 'KL' ? -s * Math.log(x[i]! / w[i]!) : -s * (x[i]! - w[i]!);
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
            const g = sol.G[i * p.m + j]!;
            t += div === 'KL' ? p.b[j]! - (p.a[i]! > 0 ? g / p.a[i]! : 0) : -(g - p.a[i]! * p.b[j]!) * p.b[j]!;
          }
          ga[i] += p.reg * t;
        }
        for (let j = 0; j < p.m; j++) {
          let t = 0;
          for (let i = 0; i < p.n; i++) {
            const g = sol.G[i * p.m + j]!;
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
    solve: (c, opts) => run(c, opts, div),
    // The iterations are O(nm) multiplicative updates in JS: the async twin resolves with the same
    // result (the signal is checked before the solve starts).
    solveAsync: async (c, opts) => {
      if (opts?.signal?.aborted) fail('ERR_OT_ABORTED', `${c.fn}: aborted`);
      return run(c, opts, div);
    },
  };
}

/** Unbalanced OT by majorization-minimization with KL marginal penalties (POT: mm_unbalanced, div='kl'). */
export const mmUnbalancedKL: SolveMethod = makeMethod('KL');
/** The same with L2 penalties (POT: mm_unbalanced, div='l2'). */
export const mmUnbalancedL2: SolveMethod = makeMethod('L2');
