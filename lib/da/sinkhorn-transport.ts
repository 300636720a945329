// POT's ot.da.SinkhornTransport: the entropic coupling (log-domain Sinkhorn) between uniform source and
// target samples, with POT's default 'continuous' out-of-sample map: a point x goes to the mean of the
// target points weighted by exp(−M(x, xt_j)/reg + log v_j), the coupling's row rule extended to any x
// (for the fitted points it is the barycentric mapping itself).
import { dist } from '../costs/index.js';
import { checkInteger, checkOneOf, checkOptions, checkPositive, fail } from '../core/validate.js';
import { solve } from '../solvers/solve.js';
import { Tensor } from '../tensor/tensor.js';
import { BaseTransport } from './transport.js';

export interface SinkhornTransportOptions {
  /** Entropic regularisation (POT: reg_e, default 1). */
  regE?: number;
  /** Sinkhorn iterations (POT: max_iter, default 1000). */
  maxIter?: number;
  /** POT's tol (default 1e-8). */
  tol?: number;
  /** POT's out_of_sample_map: 'continuous' (default) or 'ferradans' (nearest fitted point + offset). */
  outOfSampleMap?: 'continuous' | 'ferradans';
  /**
   * Pairs of labelled samples of different classes cost limitMax · max M (POT: limit_max, default
   * Infinity: forbidden; represented by a cost 2·max M + 1000·regE, at which the coupling underflows to 0).
   */
  limitMax?: number;
}

export class SinkhornTransport extends BaseTransport {
  readonly regE: number;
  private readonly maxIter: number;
  private readonly tol: number;
  private readonly outOfSample: 'continuous' | 'ferradans';
  private logU: Float64Array | null = null;
  private logV: Float64Array | null = null;

  /**
   * @example
   * const t = new ot.da.SinkhornTransport({ regE: 0.1 });
   * const mapped = t.fit({ Xs, Xt }).transform({ Xs: newPoints });
   */
  constructor(opts: SinkhornTransportOptions = {}) {
    const fn = 'SinkhornTransport';
    checkOptions(fn, opts, ['regE', 'maxIter', 'tol', 'outOfSampleMap', 'limitMax']);
    const limit = opts.limitMax ?? Infinity;
    if (!(limit > 0)) fail('ERR_OT_VALUE', `${fn}: limitMax must be > 0, got ${limit}`);
    super(fn, limit);
    this.regE = checkPositive(fn, 'regE', opts.regE ?? 1);
    this.maxIter = checkInteger(fn, 'maxIter', opts.maxIter ?? 1000, 1, 2 ** 31 - 1);
    this.tol = opts.tol ?? 1e-8;
    if (!(this.tol >= 0)) fail('ERR_OT_VALUE', `${fn}: tol must be >= 0, got ${this.tol}`);
    this.outOfSample = checkOneOf(fn, 'outOfSampleMap', opts.outOfSampleMap ?? 'continuous', ['continuous', 'ferradans'] as const);
  }

  protected override maskedCost(maxM: number): number {
    return Number.isFinite(this.limitMax) ? this.limitMax * maxM : 2 * maxM + 1000 * this.regE;
  }

  protected couple(M: Tensor): Tensor {
    const res = solve(M, null, null, { reg: this.regE, maxIter: this.maxIter, tol: this.tol, grad: 'detach' });
    this.logU = Float64Array.from(res.potentials[0].data);
    this.logV = Float64Array.from(res.potentials[1].data);
    return res.plan;
  }

  protected override map(fn: string, x: Tensor, from: Tensor, to: Tensor, G: Tensor, transposed: boolean): Tensor {
    if (this.outOfSample === 'ferradans') return super.map(fn, x, from, to, G, transposed);
    const d = to.shape[1]!;
    if (x.shape[1] !== d) fail('ERR_OT_SHAPE', `${fn}: the samples must have ${d} features (as in fit), got ${x.shape[1]}`);
    // transform: weights exp(−M(x, xt)/reg + log v); inverse: exp(−M(x, xs)/reg + log u). Normalised
    // per row after subtracting the row's largest exponent (POT exponentiates directly).
    const logW = transposed ? this.logU! : this.logV!;
    const M = dist(x, to).data;
    const n = x.shape[0]!;
    const c = to.shape[0]!;
    const X = to.data;
    const out = new Float64Array(n * d);
    const w = new Float64Array(c);
    for (let i = 0; i < n; i++) {
      let top = -Infinity;
      for (let j = 0; j < c; j++) {
        w[j] = -M[i * c + j]! / this.regE + logW[j]!;
        if (w[j]! > top) top = w[j]!;
      }
      let sum = 0;
      for (let j = 0; j < c; j++) {
        w[j] = Math.exp(w[j]! - top);
        sum += w[j]!;
      }
      for (let j = 0; j < c; j++) {
        const wj = w[j]! / sum;
        for (let k = 0; k < d; k++) out[i * d + k] = out[i * d + k]! + wj * X[j * d + k]!;
      }
    }
    return new Tensor(out, [n, d]);
  }
}
