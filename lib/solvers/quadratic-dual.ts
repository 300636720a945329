// The dual of quadratically (L2) regularised OT, balanced or with KL / TV marginal penalties, solved by
// exact block-coordinate ascent. The primal
//   min_{P >= 0} <M, P> + reg/2 ||P - q||^2 + phi(P 1) + psi(P^T 1),   q = a b^T (or 0)
// has the concave, smooth dual in (alpha, beta), with P_ij = max(0, alpha_i + beta_j - M_ij + reg q_ij) / reg.
// Given beta, the optimal alpha_i solves one monotone 1-D equation per row (the row sum of P against
// phi's optimality condition): a piecewise-linear function, solved exactly after sorting the row's
// breakpoints (balanced, TV), or with one exponential term by safeguarded Newton inside the bracketing
// piece (KL). Alternating the two blocks is the L2 analogue of Sinkhorn's scaling and needs no
// quasi-Newton method. The iterations stop when the other block's optimality residual (the dual
// gradient) falls below tol.
import { throwIfAborted } from '../core/cancel.js';
import type { Status } from '../core/vocabulary.js';
import { newtonStep } from './quadratic-newton.js';

/** 'balanced': P 1 = a exactly; 'KL': ua KL(P 1 || a); 'TV': ua ||P 1 - a||_1 (and the same for the columns). */
export type QuadraticMarginal = 'balanced' | 'KL' | 'TV';

export interface QuadraticDualInput {
  n: number;
  m: number;
  /** [n * m] row-major cost, float64. */
  M: Float64Array;
  a: Float64Array;
  b: Float64Array;
  reg: number;
  /** true: the regulariser is reg/2 ||P - a b^T||^2 (POT's unbalanced L2); false: reg/2 ||P||^2 (POT's smooth dual). */
  withRef: boolean;
  marginal: QuadraticMarginal;
  ua: number;
  ub: number;
  maxIter: number;
  tol: number;
}

export interface QuadraticDualOutput {
  alpha: Float64Array;
  beta: Float64Array;
  /** [n * m] float64. */
  plan: Float64Array;
  status: Status;
  nIter: number;
  /** The last optimality residual (2-norm of the dual gradient in the rows). */
  err: number;
}

/** One side of the alternation: M viewed with this side as rows, the weights and the strength. */
interface Side {
  rows: number;
  cols: number;
  C: Float64Array;
  w: Float64Array;
  other: Float64Array;
  strength: number;
}

/**
 * The optimal potential of one row given the other side's potentials: the root of
 * r(x) = target(x) with r(x) = sum_j max(0, x - t_j) / reg, t_j = C_j - other_j - reg q_j.
 * Balanced: target = w; TV: the same root clamped to [-s, s]; KL: target = w exp(-x / s).
 * A row of zero weight gets the largest x with r(x) = 0 (its P row stays empty).
 */
function rowPotential(t: Float64Array, w: number, reg: number, marginal: QuadraticMarginal, s: number): number {
  t.sort();
  const m = t.length;
  // A zero weight: TV may still create mass there (the clamped threshold); balanced and KL admit none,
  // so any x <= t_0 is optimal. One well below t_0 keeps the row out of the other side's updates
  // (at t_0 itself the two sides would chase each other along the tie); output() reports t_0.
  if (!(w > 0)) return marginal === 'TV' ? Math.min(s, Math.max(-s, t[0]!)) : t[0]! - (1 + Math.abs(t[0]!));
  if (marginal !== 'KL') {
    // r is linear on [t_k-1, t_k]: with the k smallest breakpoints active, x = (reg w + S_k) / k.
    let S = 0;
    let x = t[0]!;
    for (let k = 1; k <= m; k++) {
      S += t[k - 1]!;
      x = (reg * w + S) / k;
      if (k === m || x <= t[k]!) break;
    }
    return marginal === 'TV' ? Math.min(s, Math.max(-s, x)) : x;
  }
  // KL: g(x) = r(x) - w exp(-x / s) is increasing; find the piece where it changes sign. There
  // (k x - S) / reg = w exp(-x / s), i.e. with y = x - S / k: (y / s) exp(y / s) = c, c = reg w / (k s)
  // exp(-S / (k s)): y = s W(c) (Lambert's W), computed from log c so that no exponential overflows.
  let S = 0;
  let k = 1;
  for (; k <= m; k++) {
    S += t[k - 1]!;
    if (k === m) break;
    const next = t[k]!;
    if ((k * next - S) / reg - w * Math.exp(-next / s) >= 0) break;
  }
  const x = S / k + s * Math.exp(logLambertW(Math.log((reg * w) / (k * s)) - S / (k * s)));
  return Math.min(k < m ? t[k]! : Infinity, Math.max(t[k - 1]!, x));
}

/**
 * log W(c) from L = log c: the root u of e^u + u = L (convex and increasing in u), by Newton from a
 * start right of the root (L itself, or log L when L > 1), which converges monotonically.
 */
function logLambertW(L: number): number {
  let u = L > 1 ? Math.log(L) : L;
  for (let it = 0; it < 100; it++) {
    const e = Math.exp(u);
    const next = u - (e + u - L) / (e + 1);
    if (!(Math.abs(next - u) > 1e-15 * Math.max(1, Math.abs(u)))) return next;
    u = next;
  }
  return u;
}

/** Updates every potential of `side` (pot) given the other side's, writing into pot. */
function updateSide(p: QuadraticDualInput, side: Side, pot: Float64Array, qOther: Float64Array, t: Float64Array): void {
  const { rows, cols, C, w, other, strength } = side;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const wi = w[i]!;
    for (let j = 0; j < cols; j++) t[j] = C[off + j]! - other[j]! - (p.withRef ? p.reg * wi * qOther[j]! : 0);
    pot[i] = rowPotential(t, wi, p.reg, p.marginal, strength);
  }
}

/**
 * 2-norm of the rows' optimality residual: the row sums of P against what phi asks at alpha, each
 * less the rounding it carries, below which no iteration can push it: the row sum's own (its terms'
 * sizes over reg, a few ulps each), and alpha_i's, which the 1-D solve forms from numbers of size
 * |alpha_i| + |beta_j| + |M_ij| + reg q_ij, times the residual's slope in alpha_i.
 */
function residual(p: QuadraticDualInput, alpha: Float64Array, beta: Float64Array): number {
  const { n, m, M, a, b, reg } = p;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    let size = 0;
    let mag = 0;
    let k = 0;
    const ai = alpha[i]!;
    for (let j = 0; j < m; j++) {
      const Mij = M[i * m + j]!;
      const rq = p.withRef ? reg * a[i]! * b[j]! : 0;
      const z = ai + beta[j]! - Mij + rq;
      if (z > 0) {
        r += z / reg;
        const sz = Math.abs(ai) + Math.abs(beta[j]!) + Math.abs(Mij) + rq;
        size += sz;
        mag = Math.max(mag, sz);
        k++;
      }
    }
    let res: number;
    let slope = k / reg;
    if (p.marginal === 'KL') {
      const target = a[i]! * Math.exp(-ai / p.ua);
      res = r - target;
      slope += target / p.ua;
    } else {
      res = r - a[i]!;
      // TV: at the box's ends the row may only lose (alpha = ua) or only gain (alpha = -ua) mass.
      if (p.marginal === 'TV' && ai >= p.ua) res = Math.max(0, res);
      else if (p.marginal === 'TV' && ai <= -p.ua) res = Math.min(0, res);
    }
    const floor = 4 * Number.EPSILON * (size / reg + Math.sqrt(k + 1) * mag * slope);
    res = Math.max(0, Math.abs(res) - floor);
    sq += res * res;
  }
  return Math.sqrt(sq);
}

/** The solver's state between slices of iterations (the async twin yields between slices). */
export class QuadraticDual {
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  nIter = 0;
  err = Infinity;
  /** The Newton steps' damping factor, adapted to how far the last step went. */
  private lambda = 1e-3;
  private readonly rowsSide: Side;
  private readonly colsSide: Side;
  private readonly t: Float64Array;

  constructor(private readonly p: QuadraticDualInput) {
    const { n, m, M, a, b } = p;
    const Mt = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) Mt[j * n + i] = M[i * m + j]!;
    this.alpha = new Float64Array(n);
    this.beta = new Float64Array(m);
    this.rowsSide = { rows: n, cols: m, C: M, w: a, other: this.beta, strength: p.ua };
    this.colsSide = { rows: m, cols: n, C: Mt, w: b, other: this.alpha, strength: p.ub };
    this.t = new Float64Array(Math.max(n, m));
  }

  get done(): boolean {
    return this.nIter >= this.p.maxIter || (this.nIter > 0 && (this.err < this.p.tol || !Number.isFinite(this.err)));
  }

  /** Runs up to `count` sweeps (alpha then beta), stopping early at tol. */
  run(count: number): void {
    const { n, m, a, b } = this.p;
    for (let k = 0; k < count && !this.done; k++) {
      updateSide(this.p, this.rowsSide, this.alpha, b, this.t.subarray(0, m));
      updateSide(this.p, this.colsSide, this.beta, a, this.t.subarray(0, n));
      this.nIter++;
      // The columns are optimal after their update: the rows' residual is the dual gradient's norm.
      this.err = residual(this.p, this.alpha, this.beta);
      // Newton's step finishes what the sweeps approach linearly; the next sweep follows it.
      if (!this.done) {
        const t = newtonStep(this.p, this.alpha, this.beta, this.lambda);
        this.lambda = t === 1 ? Math.max(this.lambda / 4, 1e-9) : Math.min(this.lambda * 8, 1e6);
      }
    }
  }

  output(): QuadraticDualOutput {
    const { n, m, M, a, b, reg } = this.p;
    const plan = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const z = this.alpha[i]! + this.beta[j]! - M[i * m + j]! + (this.p.withRef ? reg * a[i]! * b[j]! : 0);
        plan[i * m + j] = z > 0 ? z / reg : 0;
      }
    }
    // Balanced and KL: a zero weight admits no mass; its potential is reported as the largest that
    // keeps its row (column) empty: the value's one-sided derivative in that weight. Columns first,
    // against the rows of positive weight; then rows against every column, so that no pair of
    // zero weights has alpha_i + beta_j > M_ij.
    if (this.p.marginal !== 'TV') {
      for (let j = 0; j < m; j++) {
        if (b[j]! > 0) continue;
        let t = Infinity;
        for (let i = 0; i < n; i++) {
          plan[i * m + j] = 0;
          if (a[i]! > 0) t = Math.min(t, M[i * m + j]! - this.alpha[i]!);
        }
        if (Number.isFinite(t)) this.beta[j] = t;
      }
      for (let i = 0; i < n; i++) {
        if (a[i]! > 0) continue;
        plan.fill(0, i * m, (i + 1) * m);
        let t = Infinity;
        for (let j = 0; j < m; j++) t = Math.min(t, M[i * m + j]! - this.beta[j]!);
        this.alpha[i] = t;
      }
    }
    const status: Status = !Number.isFinite(this.err) ? 'diverged' : this.err < this.p.tol ? 'converged' : 'max_iter';
    return { alpha: this.alpha, beta: this.beta, plan, status, nIter: this.nIter, err: this.err };
  }
}

export function solveQuadraticDual(p: QuadraticDualInput): QuadraticDualOutput {
  const s = new QuadraticDual(p);
  s.run(p.maxIter);
  return s.output();
}

/**
 * The same iterations in slices of about 4 ms between event-loop turns (the inputs are the caller's
 * copies), so that other work runs meanwhile and an abort stops within one slice.
 */
export async function solveQuadraticDualAsync(fn: string, p: QuadraticDualInput, signal: AbortSignal | undefined): Promise<QuadraticDualOutput> {
  throwIfAborted(fn, signal);
  const s = new QuadraticDual(p);
  while (!s.done) {
    const t0 = performance.now();
    while (!s.done && performance.now() - t0 < 4) s.run(1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(fn, signal);
  }
  return s.output();
}
