// What the unbalanced methods of ot.solve share: reading `unbalanced` (POT's reg_m: one strength or
// a pair), the weights without a mass check, and the value's gradient at the optimum (the envelope
// theorem: the objective's partial derivatives at the returned plan).
import { fail, show } from '../core/validate.js';
import type { UnbalancedType } from '../core/vocabulary.js';
import { allocate, type DType, type FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { scalar } from './grad-modes.js';
import { total, weights, type CostProblem, type Weights } from './problem.js';
import { OTResult } from './result.js';
import type { Status } from '../core/vocabulary.js';

/**
 * POT's reg_m: a number (both marginals) or [ua, ub], each > 0; Infinity makes that marginal exact
 * (only where `infinite` says the method allows it).
 */
export function strengths(fn: string, v: unknown, infinite: boolean): [number, number] {
  const pair = Array.isArray(v) ? v : [v, v];
  if (pair.length !== 2) fail('ERR_OT_ARG', `${fn}: unbalanced must be a number or a pair [ua, ub], got an array of ${pair.length}`);
  const check = (x: unknown): number => {
    if (typeof x !== 'number' || Number.isNaN(x) || !(x > 0)) fail('ERR_OT_VALUE', `${fn}: unbalanced must be > 0, got ${show(x)}`);
    if (!infinite && !Number.isFinite(x)) {
      fail('ERR_OT_VALUE', `${fn}: unbalanced must be finite for this problem (exact or regType 'L2'), got ${show(x)}`);
    }
    return x;
  };
  return [check(pair[0]), check(pair[1])];
}

/** a and b (uniform when omitted), finite and >= 0, each with a positive total; masses may differ. */
export function unbalancedWeights(c: CostProblem): [Weights, Weights] {
  const a = weights(c.fn, 'a', c.aIn, c.n, 'rows');
  const b = weights(c.fn, 'b', c.bIn, c.m, 'columns');
  const sa = total(a.data);
  const sb = total(b.data);
  if (!(sa > 0) || !(sb > 0)) fail('ERR_OT_VALUE', `${c.fn}: a and b must have a positive total mass, got ${sa} and ${sb}`);
  return [a, b];
}

/** Row and column sums of a plan [n, m]. */
export function marginals(plan: ArrayLike<number>, n: number, m: number): [Float64Array, Float64Array] {
  const r = new Float64Array(n);
  const col = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) {
      const p = plan[i * m + j]!;
      s += p;
      col[j] += p;
    }
    r[i] = s;
  }
  return [r, col];
}

/** d D(x | w) / d w for one marginal penalty D, per entry (0 where w = 0: no mass can reach it). */
export function penaltyGrad(type: UnbalancedType, x: Float64Array, w: Float64Array, strength: number): Float64Array {
  const g = new Float64Array(w.length);
  if (!Number.isFinite(strength)) return g;
  for (let i = 0; i < w.length; i++) {
    const wi = w[i]!;
    if (type === 'KL') g[i] = wi > 0 ? strength * (1 - x[i]! / wi) : 0;  // KL = x log(x/w) - x + w
    else if (type === 'L2') g[i] = strength * (wi - x[i]!);              // ½ (x - w)²
    else g[i] = strength * Math.sign(wi - x[i]!);                        // |x - w|
  }
  return g;
}

/** What an unbalanced method hands to {@link unbalancedResult}. */
export interface UnbalancedSolution {
  M: Tensor;
  a: Tensor;
  b: Tensor;
  n: number;
  m: number;
  value: number;
  valueLinear: number;
  plan: FloatArray;
  potentials: [FloatArray, FloatArray] | null;
  status: Status;
  nIter: number;
  /** 'envelope' (the value's gradient at the optimum) or 'detach'. */
  grad: 'envelope' | 'detach';
  /** d value / d a and d value / d b at the plan, from its row and column sums. */
  weightGrads: (r: Float64Array, c: Float64Array) => [Float64Array, Float64Array];
}

/** g · x in `dtype` (g = 1: x converted). */
export function inDtype(x: Float64Array, dtype: DType, g = 1): FloatArray {
  const out = allocate(dtype, x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * g;
  return out;
}

/**
 * The OTResult of an unbalanced solve. 'envelope': value's gradient is (plan, d/da, d/db) of the
 * objective at the returned plan — exact at the optimum, where the objective is stationary in the plan.
 */
export function unbalancedResult(s: UnbalancedSolution): OTResult {
  const dtype = s.M.dtype;
  const plan = new Tensor(s.plan, [s.n, s.m]);
  const potentials: readonly [Tensor, Tensor] = s.potentials
    ? [new Tensor(s.potentials[0], [s.n]), new Tensor(s.potentials[1], [s.m])]
    : [new Tensor(allocate(dtype, s.n).fill(NaN), [s.n]), new Tensor(allocate(dtype, s.m).fill(NaN), [s.m])];
  const needs = s.M.requiresGrad || s.a.requiresGrad || s.b.requiresGrad;
  const valueLinear = new Tensor(scalar(s.valueLinear, dtype), []);
  const fields = { status: s.status, nIter: s.nIter, valueLinear, plan, potentials };
  if (s.grad === 'detach' || !needs) return new OTResult({ ...fields, value: new Tensor(scalar(s.value, dtype), []) });
  const value = Tensor.fromOp(scalar(s.value, dtype), [], {
    name: 'solve.envelope',
    inputs: [s.M, s.a, s.b],
    backward: (g) => {
      if (s.status === 'diverged') fail('ERR_OT_VALUE', "solve (backward): the solve diverged (status 'diverged'), so it has no gradient");
      const gv = g.item();
      const dM = s.M.requiresGrad ? new Tensor(inDtype(Float64Array.from(s.plan), dtype, gv), [s.n, s.m]) : null;
      let da: Tensor | null = null;
      let db: Tensor | null = null;
      if (s.a.requiresGrad || s.b.requiresGrad) {
        const [r, c] = marginals(s.plan, s.n, s.m);
        const [ga, gb] = s.weightGrads(r, c);
        if (s.a.requiresGrad) da = new Tensor(inDtype(ga, s.a.dtype, gv), [s.n]);
        if (s.b.requiresGrad) db = new Tensor(inDtype(gb, s.b.dtype, gv), [s.m]);
      }
      return [dM, da, db];
    },
  }, 'cpu');
  return new OTResult({ ...fields, value });
}
