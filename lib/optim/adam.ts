// Adam (torch.optim.Adam, single-tensor path of torch 1.13) with torch's exact arithmetic order, so
// trajectories match torch to rounding: bias corrections 1 − β^step, denom = √v/√(1 − β2^step) + eps.
// The update itself is native (native/common/optim.cc), the one the native dual ascent runs.
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

type State = readonly [FloatArray, FloatArray, FloatArray | null];

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
  protected readonly rule = 'adam';
  protected readonly hyper: Float64Array;
  private readonly state: (State | null)[];

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
    this.hyper = Float64Array.of(this.lr, this.betas[0], this.betas[1], this.eps, this.weightDecay, +this.amsgrad, +this.maximize);
  }

  protected stateOf(k: number, x: FloatArray): State {
    // State in the parameter's dtype, as torch keeps it (zero-initialised moments).
    const dtype = dtypeOf(x);
    return (this.state[k] ??= [allocate(dtype, x.length), allocate(dtype, x.length), this.amsgrad ? allocate(dtype, x.length) : null]);
  }
}
