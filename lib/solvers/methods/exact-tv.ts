// ot.solve's method for exact unbalanced OT with total-variation penalties (reg omitted, unbalancedType
// 'TV'; POT runs L-BFGS-B on the plan, lbfgsb_unbalanced with reg 0):
//   min_{P >= 0} <M, P> + ua ||P 1 - a||_1 + ub ||P^T 1 - b||_1,
// a linear program solved exactly as one balanced OT problem by the network simplex. A dummy row D_r of
// mass sum(b) and a dummy column D_c of mass sum(a) are added:
//   cost(i, D_c) = min(ua, min_j M_ij + ub)   a_i's mass destroyed, or delivered to column j beyond b_j;
//   cost(D_r, j) = min(ub, min_i M_ij + ua)   b_j left unmet, or served from mass created at row i;
//   cost(D_r, D_c) = 0                        the dummy masses that pair up cost nothing.
// Every UOT plan maps to an augmented flow of no greater cost and back, so the optima agree; the plan
// is rebuilt by routing each dummy flow through the entry its cost chose. The augmented duals give the
// UOT duals f_i = u_i + v_Dc, g_j = v_j + u_Dr (the value's gradient in a and b).
import { backendFor, type EmdInput, type EmdOutput } from '../../backend/index.js';
import { checkInteger, checkOneOf, fail } from '../../core/validate.js';
import { warn } from '../../core/warnings.js';
import { Tensor } from '../../tensor/tensor.js';
import { total, type CostProblem, type SolveMethod } from '../problem.js';
import type { OTResult } from '../result.js';
import type { SolveAsyncOptions } from '../solve.js';
import { SOLVE_MAX_ITER } from './exact.js';
import { inDtype, strengths, unbalancedResult, unbalancedWeights } from '../unbalanced.js';

interface Problem extends EmdInput {
  fn: string;
  Mv: Float64Array;
  a: Float64Array;
  b: Float64Array;
  ua: number;
  ub: number;
  /** Per row: the column its dummy flow goes to (-1: destroyed); per column: the row (-1: unmet). */
  rowTo: Int32Array;
  colFrom: Int32Array;
  Mt: Tensor;
  aT: Tensor;
  bT: Tensor;
  grad: 'envelope' | 'detach';
}

function resolve(c: CostProblem, opts: SolveAsyncOptions | undefined): Problem {
  const { fn, n, m } = c;
  const [ua, ub] = strengths(fn, opts!.unbalanced, false);
  const maxIter = checkInteger(fn, 'maxIter', opts?.maxIter ?? SOLVE_MAX_ITER, 1, Number.MAX_SAFE_INTEGER);
  const grad = checkOneOf(fn, 'grad', opts?.grad ?? 'envelope', ['envelope', 'detach'] as const);
  if (opts?.epsScaling !== undefined && opts.epsScaling !== false) fail('ERR_OT_ARG', `${fn}: epsScaling applies to entropic solves only (reg > 0, regType 'KL' or 'entropy')`);
  const [wa, wb] = unbalancedWeights(c);
  const a = wa.data;
  const b = wb.data;
  const Mv = Float64Array.from(c.M.data);
  const N = n + 1;
  const K = m + 1;
  const aug = new Float64Array(N * K);
  const rowTo = new Int32Array(n).fill(-1);
  const colFrom = new Int32Array(m).fill(-1);
  const colBest = new Float64Array(m).fill(ub);
  let lowest = Infinity;
  for (let i = 0; i < n; i++) {
    let best = ua;
    for (let j = 0; j < m; j++) {
      const x = Mv[i * m + j]!;
      if (!Number.isFinite(x)) fail('ERR_OT_VALUE', `${fn}: M must be finite, got ${x} at entry ${i * m + j}`);
      aug[i * K + j] = x;
      lowest = Math.min(lowest, x);
      if (x + ub < best) [best, rowTo[i]] = [x + ub, j];
      if (x + ua < colBest[j]!) [colBest[j], colFrom[j]] = [x + ua, i];
    }
    aug[i * K + m] = best;
  }
  for (let j = 0; j < m; j++) aug[n * K + j] = colBest[j]!;
  // Mass created at a row and delivered beyond a column's weight earns -(M_ij + ua + ub) per unit.
  if (lowest + ua + ub < 0) {
    fail('ERR_OT_VALUE', `${fn}: exact TV-unbalanced OT is unbounded when min(M) + ua + ub < 0, got min(M) = ${lowest}, ua = ${ua}, ub = ${ub}`);
  }
  const sa = total(a);
  const sb = total(b);
  const aAug = new Float64Array(N);
  aAug.set(a);
  aAug[n] = sb;
  const bAug = new Float64Array(K);
  bAug.set(b);
  bAug[m] = sa;
  // Both sides carry sa + sb; summed in another order they may differ in the last bit.
  const ta = aAug.reduce((s, x) => s + x, 0);
  const tb = bAug.reduce((s, x) => s + x, 0);
  const bData = ta === tb ? bAug : bAug.map((x) => (x * ta) / tb);
  return {
    fn, M: new Tensor(aug, [N, K]), aData: aAug, bData, n: N, m: K, maxIter, valueOnly: false,
    Mv, a, b, ua, ub, rowTo, colFrom, Mt: c.M, aT: wa.t, bT: wb.t, grad,
  };
}

function result(c: CostProblem, p: Problem, out: EmdOutput): OTResult {
  if (out.status === 'max_iter') {
    warn('OT_EMD_MAX_ITER', `${c.fn}: the network simplex reached maxIter=${p.maxIter} before optimality (the plan may not be optimal); increase maxIter`);
  }
  const n = p.n - 1;
  const m = p.m - 1;
  const K = p.m;
  const X = out.plan!;
  const P = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) P[i * m + j] = X[i * K + j]!;
  // The dummy flows: through the entry their cost chose (or nowhere: destroyed mass, unmet demand).
  for (let i = 0; i < n; i++) if (p.rowTo[i]! >= 0) P[i * m + p.rowTo[i]!] += X[i * K + m]!;
  for (let j = 0; j < m; j++) if (p.colFrom[j]! >= 0) P[p.colFrom[j]! * m + j] += X[n * K + j]!;
  let lin = 0;
  const r = new Float64Array(n);
  const col = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const x = P[i * m + j]!;
      lin += x * p.Mv[i * m + j]!;
      r[i] += x;
      col[j] += x;
    }
  }
  let pen = 0;
  for (let i = 0; i < n; i++) pen += p.ua * Math.abs(r[i]! - p.a[i]!);
  for (let j = 0; j < m; j++) pen += p.ub * Math.abs(col[j]! - p.b[j]!);
  const u = out.u;
  const v = out.v;
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  for (let i = 0; i < n; i++) f[i] = u[i]! + v[m]!;
  for (let j = 0; j < m; j++) g[j] = v[j]! + u[n]!;
  const dtype = p.Mt.dtype;
  return unbalancedResult({
    M: p.Mt, a: p.aT, b: p.bT, n, m, value: lin + pen, valueLinear: lin, plan: inDtype(P, dtype), potentials: [inDtype(f, dtype), inDtype(g, dtype)],
    status: out.status, nIter: out.nIter, grad: p.grad,
    // The LP's value is piecewise linear in (a, b): the optimal duals are its (sub)gradient.
    weightGrads: () => [Float64Array.from(f), Float64Array.from(g)],
  });
}

/** Exact unbalanced OT with TV penalties, by the network simplex on the problem with one dummy row and column. */
export const exactTV: SolveMethod = {
  solve(c, opts) {
    const p = resolve(c, opts);
    return result(c, p, backendFor('cpu').emd(c.fn, p));
  },
  async solveAsync(c, opts) {
    const p = resolve(c, opts);
    return result(c, p, await backendFor('cpu').emdAsync(c.fn, p, opts?.signal));
  },
};
