// ot.solve's unbalanced entropic method: reg > 0, regType 'KL' or 'entropy', unbalancedType 'KL', 'TV'
// or 'L2'. The native Sinkhorn with the marginal's proximal update plugged in (Chizat et al. 2018): for
// KL + KL this is POT's sinkhorn_knopp_unbalanced; for 'entropy', 'TV' or 'L2' POT runs L-BFGS-B on
// the plan (lbfgsb_unbalanced), whose objective this minimises by scaling iterations instead.
import { backendFor, type SinkhornInput, type SinkhornOutput } from '../../backend/index.js';
import { planOf } from '../../backend/types.js';
import { checkFiniteNumber, checkInteger, checkOneOf, fail } from '../../core/validate.js';
import { checkSpelling, ENTROPIC_REG_TYPES, type EntropicRegType, type UnbalancedType } from '../../core/vocabulary.js';
import { annealedSinkhorn, annealedSinkhornAsync, resolveEpsScaling, type EpsScaling } from '../eps-scaling.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { total, type CostProblem, type SolveMethod } from '../problem.js';
import type { OTResult } from '../result.js';
import type { SolveAsyncOptions } from '../solve.js';
import { penaltyGrad, strengths, unbalancedResult, unbalancedWeights } from '../unbalanced.js';
import { warnStatus } from './sinkhorn.js';

interface Problem extends SinkhornInput {
  grad: 'envelope' | 'detach';
  marginalType: UnbalancedType;
  eps: EpsScaling | null;
}

function resolve(c: CostProblem, opts: SolveAsyncOptions | undefined, marginalType: 'KL' | 'TV' | 'L2'): Problem {
  const { fn, M, n, m } = c;
  const reg = opts!.reg!;
  const regType: EntropicRegType = checkSpelling(fn, 'regType', opts?.regType ?? 'KL', ENTROPIC_REG_TYPES);
  const [ua, ub] = strengths(fn, opts!.unbalanced, true);
  const maxIter = checkInteger(fn, 'maxIter', opts?.maxIter ?? 1000, 1, 1e9);
  const tol = checkFiniteNumber(fn, 'tol', opts?.tol ?? 1e-9);
  if (tol < 0) fail('ERR_OT_VALUE', `${fn}: tol must be >= 0, got ${tol}`);
  // The value's gradient is the envelope one (exact at convergence); differentiating through the
  // unbalanced iterations is not available.
  const grad = checkOneOf(fn, 'grad', opts?.grad ?? 'envelope', ['envelope', 'detach'] as const);
  const [a, b] = unbalancedWeights(c);
  if (marginalType !== 'KL' && regType === 'entropy' && (a.data.some((w) => w === 0) || b.data.some((w) => w === 0))) {
    // With the reference measure 1, TV and L2 may create mass where a weight is 0; the kernel keeps such rows empty.
    fail('ERR_OT_VALUE', `${fn}: regType 'entropy' with unbalancedType '${marginalType}' needs positive weights a and b, got a zero entry`);
  }
  const eps = resolveEpsScaling(fn, opts?.epsScaling, M, c.device);
  return {
    M, a: a.t, b: b.t, aData: a.data, bData: b.data, n, m, reg, regType, maxIter, tol, record: 'none', ua, ub,
    marginal: marginalType, grad, marginalType, eps, planWanted: true,  // the result reads it at once
  };
}

/**
 * d value / d w of one marginal at the optimum. KL, L2: the penalty's derivative. TV and
 * an exact side (ua = Infinity): the dual potential phi = reg (u - o), o = log w (reg KL) or 0
 * (entropy) — for TV clamped to [-ua, ua] as the update does (the penalty's own derivative,
 * ua sign(w - x), is undefined where the marginal is kept, x = w, which is where TV plans sit).
 * 0 where w = 0.
 */
function sideGrad(u: SinkhornOutput['logU'], x: Float64Array, w: Float64Array, p: Problem, strength: number): Float64Array {
  if (Number.isFinite(strength) && p.marginalType !== 'TV') return penaltyGrad(p.marginalType, x, w, strength);
  const g = new Float64Array(w.length);
  const pot = u as ArrayLike<number>;
  for (let i = 0; i < w.length; i++) {
    if (!(w[i]! > 0)) continue;
    const phi = p.reg * (pot[i]! - (p.regType === 'KL' ? Math.log(w[i]!) : 0));
    g[i] = Math.min(strength, Math.max(-strength, phi));
  }
  return g;
}

function result(c: CostProblem, p: Problem, out: SinkhornOutput): OTResult {
  warnStatus(c.fn, { ...p, device: c.device, grad: 'detach' }, out.status);
  const sa = total(p.aData);
  const sb = total(p.bData);
  return unbalancedResult({
    M: p.M, a: p.a, b: p.b, n: p.n, m: p.m, value: out.value, valueLinear: out.valueLinear,
    plan: planOf(out) as FloatArray, potentials: [out.logU as FloatArray, out.logV as FloatArray],
    status: out.status, nIter: out.nIter, grad: p.grad,
    weightGrads: (r, col) => {
      const ga = sideGrad(out.logU, r, p.aData, p, p.ua!);
      const gb = sideGrad(out.logV, col, p.bData, p, p.ub!);
      if (p.regType === 'KL') {
        // reg KL(P || a b^T) = reg (sum P log(P / (a b)) - |P| + |a||b|): d/da_i = reg (|b| - r_i / a_i).
        for (let i = 0; i < p.n; i++) ga[i] += p.aData[i]! > 0 ? p.reg * (sb - r[i]! / p.aData[i]!) : p.reg * sb;
        for (let j = 0; j < p.m; j++) gb[j] += p.bData[j]! > 0 ? p.reg * (sa - col[j]! / p.bData[j]!) : p.reg * sa;
      }
      return [ga, gb];
    },
  });
}

function makeMethod(marginalType: 'KL' | 'TV' | 'L2'): SolveMethod {
  return {
    solve(c, opts) {
      const p = resolve(c, opts, marginalType);
      return result(c, p, p.eps ? annealedSinkhorn(p, p.eps) : backendFor('cpu').sinkhorn(p));
    },
    async solveAsync(c, opts) {
      const p = resolve(c, opts, marginalType);
      const out = p.eps ? await annealedSinkhornAsync(c.fn, p, p.eps, opts?.signal) : await backendFor('cpu').sinkhornAsync(c.fn, p, opts?.signal);
      return result(c, p, out);
    },
  };
}

/** Unbalanced entropic OT with KL marginal penalties (POT: sinkhorn_knopp_unbalanced). */
export const unbalancedSinkhorn: SolveMethod = makeMethod('KL');
/** Unbalanced entropic OT with total-variation marginal penalties (POT: lbfgsb_unbalanced, regType KL or entropy). */
export const unbalancedSinkhornTV: SolveMethod = makeMethod('TV');
/** Unbalanced entropic OT with L2 marginal penalties (POT: lbfgsb_unbalanced, regType KL or entropy). */
export const unbalancedSinkhornL2: SolveMethod = makeMethod('L2');
