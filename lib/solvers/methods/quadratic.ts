// ot.solve's methods for quadratically regularised OT (regType 'L2'): balanced (POT: smooth_ot_dual with
// reg_type 'l2') and with KL or TV marginal penalties (POT: lbfgsb_unbalanced with reg_div 'l2'). Both
// are solved in the dual by exact block-coordinate ascent (../quadratic-dual.ts); the value, the
// potentials and the envelope gradient are formed here from the returned plan and duals.
import { checkFiniteNumber, checkInteger, checkOneOf, fail } from '../../core/validate.js';
import { warn } from '../../core/warnings.js';
import type { Tensor } from '../../tensor/tensor.js';
import { solveQuadraticDual, solveQuadraticDualAsync, type QuadraticDualInput, type QuadraticDualOutput, type QuadraticMarginal } from '../quadratic-dual.js';
import { total, weights, type CostProblem, type SolveMethod } from '../problem.js';
import type { OTResult } from '../result.js';
import type { SolveAsyncOptions } from '../solve.js';
import { inDtype, marginals, penaltyGrad, strengths, unbalancedResult, unbalancedWeights } from '../unbalanced.js';

interface Problem extends QuadraticDualInput {
  Mt: Tensor;
  aT: Tensor;
  bT: Tensor;
  grad: 'envelope' | 'detach';
}

function resolve(c: CostProblem, opts: SolveAsyncOptions | undefined, marginal: QuadraticMarginal): Problem {
  const { fn, n, m } = c;
  const reg = opts!.reg!;
  // POT's fixtures converge in <= 100 iterations, n = m = 200 in ~300; reg far below M's scale
  // (reg / max M < 1e-4) approaches exact OT and may not converge: 10000 bounds the time it spends.
  const maxIter = checkInteger(fn, 'maxIter', opts?.maxIter ?? 10000, 1, 1e9);
  const tol = checkFiniteNumber(fn, 'tol', opts?.tol ?? 1e-12);
  if (tol < 0) fail('ERR_OT_VALUE', `${fn}: tol must be >= 0, got ${tol}`);
  const grad = checkOneOf(fn, 'grad', opts?.grad ?? 'envelope', ['envelope', 'detach'] as const);
  if (opts?.epsScaling !== undefined && opts.epsScaling !== false) {
    fail('ERR_OT_ARG', `${fn}: epsScaling applies to entropic solves only (reg > 0, regType 'KL' or 'entropy')`);
  }
  let a: Float64Array;
  let b: Float64Array;
  let aT: Tensor;
  let bT: Tensor;
  let ua = Infinity;
  let ub = Infinity;
  if (marginal === 'balanced') {
    const wa = weights(fn, 'a', c.aIn, n, 'rows');
    const wb = weights(fn, 'b', c.bIn, m, 'columns');
    const sa = total(wa.data);
    const sb = total(wb.data);
    if (!(sa > 0) || !(sb > 0)) fail('ERR_OT_VALUE', `${fn}: a and b must have a positive total mass, got ${sa} and ${sb}`);
    if (Math.abs(sa - sb) > 1e-6 * Math.max(sa, sb)) fail('ERR_OT_VALUE', `${fn}: a and b must have the same total mass (balanced OT), got ${sa} and ${sb}`);
    // Equal up to rounding: b is scaled to a's mass (a constant of the problem), as the balanced Sinkhorn.
    [a, b, aT, bT] = [wa.data, sa === sb ? wb.data : wb.data.map((v) => (v * sa) / sb), wa.t, wb.t];
  } else {
    [ua, ub] = strengths(fn, opts!.unbalanced, false);
    const [wa, wb] = unbalancedWeights(c);
    [a, b, aT, bT] = [wa.data, wb.data, wa.t, wb.t];
  }
  const M = Float64Array.from(c.M.data);
  for (let k = 0; k < M.length; k++) {
    if (!Number.isFinite(M[k]!)) fail('ERR_OT_VALUE', `${fn}: M must be finite, got ${M[k]} at entry ${k}`);
  }
  return {
    n, m, M, a: Float64Array.from(a), b: Float64Array.from(b), reg, withRef: marginal !== 'balanced', marginal, ua, ub, maxIter, tol,
    Mt: c.M, aT, bT, grad,
  };
}

/** <M, P>, reg/2 ||P - q||^2 and the marginal penalties at P: the objective the dual ascent maximises the dual of. */
function objective(p: Problem, P: Float64Array): [number, number] {
  const { n, m, M, a, b, reg, ua, ub } = p;
  let lin = 0;
  let quad = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const x = P[i * m + j]!;
      lin += x * M[i * m + j]!;
      const d = x - (p.withRef ? a[i]! * b[j]! : 0);
      quad += d * d;
    }
  }
  if (p.marginal === 'balanced') return [lin + (reg / 2) * quad, lin];
  const [r, col] = marginals(P, n, m);
  const pen = (x: Float64Array, w: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < w.length; i++) {
      const xi = x[i]!;
      const wi = w[i]!;
      s += p.marginal === 'TV' ? Math.abs(xi - wi) : (xi > 0 ? xi * Math.log(xi / wi) : 0) - xi + wi;
    }
    return s;
  };
  return [lin + (reg / 2) * quad + ua * pen(r, a) + ub * pen(col, b), lin];
}

function result(c: CostProblem, p: Problem, out: QuadraticDualOutput): OTResult {
  if (out.status === 'max_iter') {
    warn('OT_UNBALANCED_MAX_ITER',
      `${c.fn}: the L2-regularised dual ascent did not converge in ${p.maxIter} iterations (marginal residual ${out.err.toExponential(2)} above tol=${p.tol}); increase maxIter`);
  }
  const [value, valueLinear] = objective(p, out.plan);
  const { n, m, a, b, reg } = p;
  const alpha = Float64Array.from(out.alpha);
  const beta = Float64Array.from(out.beta);
  return unbalancedResult({
    M: p.Mt, a: p.aT, b: p.bT, n, m, value, valueLinear, plan: inDtype(out.plan, p.Mt.dtype),
    potentials: [inDtype(alpha, p.Mt.dtype), inDtype(beta, p.Mt.dtype)], status: out.status, nIter: out.nIter, grad: p.grad,
    weightGrads: (r, col) => {
      if (p.marginal === 'balanced') {
        // The duals of the marginal constraints, defined up to a shared constant (a and b keep equal
        // masses): centred, as the exact and entropic solvers report theirs.
        const mean = (x: Float64Array): number => total(x) / x.length;
        const ma = mean(alpha);
        const mb = mean(beta);
        return [alpha.map((x) => x - ma), beta.map((x) => x - mb)];
      }
      // KL: the penalty's derivative; TV: the dual potential (in [-ua, ua]), where |x - w| has no derivative.
      const ga = p.marginal === 'KL' ? penaltyGrad('KL', r, a, p.ua) : alpha.map((x, i) => (a[i]! > 0 ? x : 0));
      const gb = p.marginal === 'KL' ? penaltyGrad('KL', col, b, p.ub) : beta.map((x, j) => (b[j]! > 0 ? x : 0));
      // reg/2 ||P - a b^T||^2: d/da_i = -reg sum_j (P_ij - a_i b_j) b_j, and the same for b.
      const P = out.plan;
      for (let i = 0; i < n; i++) {
        let t = 0;
        for (let j = 0; j < m; j++) t -= (P[i * m + j]! - a[i]! * b[j]!) * b[j]!;
        ga[i] += reg * t;
      }
      for (let j = 0; j < m; j++) {
        let t = 0;
        for (let i = 0; i < n; i++) t -= (P[i * m + j]! - a[i]! * b[j]!) * a[i]!;
        gb[j] += reg * t;
      }
      return [ga, gb];
    },
  });
}

function makeMethod(marginal: QuadraticMarginal): SolveMethod {
  return {
    solve(c, opts) {
      const p = resolve(c, opts, marginal);
      return result(c, p, solveQuadraticDual(p));
    },
    async solveAsync(c, opts) {
      const p = resolve(c, opts, marginal);
      return result(c, p, await solveQuadraticDualAsync(c.fn, p, opts?.signal));
    },
  };
}

/** Balanced quadratically regularised OT (POT: ot.smooth.smooth_ot_dual, reg_type 'l2'). */
export const quadraticBalanced: SolveMethod = makeMethod('balanced');
/** L2-regularised unbalanced OT with KL marginal penalties (POT: lbfgsb_unbalanced, reg_div 'l2', regm_div 'kl'). */
export const quadraticKL: SolveMethod = makeMethod('KL');
/** L2-regularised unbalanced OT with TV marginal penalties (POT: lbfgsb_unbalanced, reg_div 'l2', regm_div 'tv'). */
export const quadraticTV: SolveMethod = makeMethod('TV');
