// Adam (torch.optim.Adam, single-tensor path of torch 1.13) with torch's exact arithmetic order, so
// trajectories match torch to rounding: bias corrections 1 − β^step, denom = √v/√(1 − β2^step) + eps.
import type { Tensor } from '../tensor/tensor.js';
import { allocate, dtypeOf, type FloatArray } from '../tensor/dtype.js';
import { checkOptions, fail } from '../core/validate.js';
import { checkFlag, checkRange, Optimizer } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient as weightDecay·param (default 0). */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad, default false). */
  amsgrad?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

interface AdamState {
  step: number;
  expAvg: FloatArray;
  expAvgSq: FloatArray;
  maxExpAvgSq: FloatArray | null;
}

/**
 * Adam optimiser with torch's update rule; parameters are updated in place.
 * @example
 * const u = ot.randn([100], { seed: 1, requiresGrad: true });
 * const opt = new ot.optim.Adam([u], { lr: 1 });
 * for (let i = 0; i < 200; i++) {
 *   const loss = u.pow(2).sum();
 *   loss.backward(); opt.step(); opt.zeroGrad();
 * }
 */
export class Adam extends Optimizer {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  readonly maximize: boolean;
  private readonly state: (AdamState | null)[];

  constructor(params: readonly Tensor[], opts: AdamOptions = {}) {
    super('Adam', params);
    checkOptions('Adam', opts, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize']);
    this.lr = checkRange('Adam', 'lr', opts.lr ?? 1e-3, 0, Infinity);
    const betas = opts.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) fail('ERR_OT_ARG', 'Adam: betas must be a pair [beta1, beta2]');
    this.betas = [checkRange('Adam', 'betas[0]', betas[0], 0, 1), checkRange('Adam', 'betas[1]', betas[1], 0, 1)];
    this.eps = checkRange('Adam', 'eps', opts.eps ?? 1e-8, 0, Infinity);
    this.weightDecay = checkRange('Adam', 'weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    this.amsgrad = checkFlag('Adam', 'amsgrad', opts.amsgrad ?? false);
    this.maximize = checkFlag('Adam', 'maximize', opts.maximize ?? false);
    this.state = this.params.map(() => null);
  }

  protected update(k: number, x: FloatArray, g: FloatArray): void {
    let st = this.state[k];
    if (!st) {
      // State in the parameter's dtype, as torch keeps it.
      const dtype = dtypeOf(x);
      st = { step: 0, expAvg: allocate(dtype, x.length), expAvgSq: allocate(dtype, x.length), maxExpAvgSq: this.amsgrad ? allocate(dtype, x.length) : null };
      this.state[k] = st;
    }
    const [beta1, beta2] = this.betas;
    const { lr, eps, weightDecay: wd } = this;
    st.step += 1;
    const biasCorrection1 = 1 - beta1 ** st.step;
    const biasCorrection2 = 1 - beta2 ** st.step;
    const stepSize = lr / biasCorrection1;
    const bc2Sqrt = Math.sqrt(biasCorrection2);
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    const { expAvg: m, expAvgSq: v, maxExpAvgSq: vmax } = st;
    const sign = this.maximize ? -1 : 1;
    if (wd === 0 && vmax === null && sign === 1) {
      adamPlain(x, g, m, v, beta1, beta2, c1, c2, bc2Sqrt, eps, stepSize);
      return;
    }
    for (let i = 0; i < x.length; i++) {
      let gi = sign * g[i]!;
      if (wd !== 0) gi = gi + wd * x[i]!;
      // torch: exp_avg.mul_(β1).add_(g, alpha=1−β1); exp_avg_sq.mul_(β2).addcmul_(g, g, value=1−β2)
      const mi = m[i]! * beta1 + c1 * gi;
      const vi = v[i]! * beta2 + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      let denomSq = vi;
      if (vmax) {
        denomSq = Math.max(vmax[i]!, vi);
        vmax[i] = denomSq;
      }
      const denom = Math.sqrt(denomSq) / bc2Sqrt + eps;
      // torch: param.addcdiv_(exp_avg, denom, value=−step_size) = p + (−step_size·m)/denom
      // denom is 0 only with eps = 0 and a zero second moment, where the first moment is 0 too: no step
      // (torch's 0/0 would write NaN into the parameter).
      x[i] = denom === 0 ? x[i]! : x[i]! + (-stepSize * mi) / denom;
    }
  }
}

/**
 * Adam's update without weight decay, AMSGrad or maximize: the loop below with those branches taken
 * out (the same operations in the same order, so the same results), for the common small-step case.
 */
function adamPlain(x: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, beta1: number, beta2: number, c1: number, c2: number,
  bc2Sqrt: number, eps: number, stepSize: number): void {
  for (let i = 0; i < x.length; i++) {
    const gi = g[i]!;
    const mi = m[i]! * beta1 + c1 * gi;
    const vi = v[i]! * beta2 + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const denom = Math.sqrt(vi) / bc2Sqrt + eps;
    x[i] = denom === 0 ? x[i]! : x[i]! + (-stepSize * mi) / denom;
  }
}
