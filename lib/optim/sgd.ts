// Stochastic gradient descent (torch.optim.SGD): momentum with dampening, Nesterov, weight decay and
// maximize, in torch's order of operations (the native update of native/common/optim.cc).
import type { Tensor } from '../tensor/tensor.js';
import { allocate, dtypeOf, type FloatArray } from '../tensor/dtype.js';
import { checkOptions, fail } from '../core/validate.js';
import { checkFlag, checkRange, Optimizer } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Momentum factor (default 0: plain gradient steps). */
  momentum?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient as weightDecay·param (default 0). */
  weightDecay?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0 (default false). */
  nesterov?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/**
 * SGD optimiser with torch's semantics; parameters are updated in place. The momentum buffer starts
 * as a copy of the first gradient (torch), so dampening only applies from the second step on.
 * @example
 * const opt = new ot.optim.SGD([u, v], { lr: 0.1, momentum: 0.9, nesterov: true });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class SGD extends Optimizer {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly maximize: boolean;
  protected readonly rule = 'sgd';
  protected readonly hyper: Float64Array;
  private readonly buffers: (FloatArray | null)[];

  constructor(params: readonly Tensor[], opts: SGDOptions = {}) {
    super('SGD', params);
    checkOptions('SGD', opts, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize']);
    this.lr = checkRange('SGD', 'lr', opts.lr ?? 1e-3, 0, Infinity);
    this.momentum = checkRange('SGD', 'momentum', opts.momentum ?? 0, 0, Infinity);
    this.dampening = checkRange('SGD', 'dampening', opts.dampening ?? 0, -Infinity, Infinity);
    this.weightDecay = checkRange('SGD', 'weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    this.nesterov = checkFlag('SGD', 'nesterov', opts.nesterov ?? false);
    this.maximize = checkFlag('SGD', 'maximize', opts.maximize ?? false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      fail('ERR_OT_VALUE', 'SGD: nesterov momentum requires momentum > 0 and dampening = 0');
    }
    this.buffers = this.params.map(() => null);
    this.hyper = Float64Array.of(this.lr, this.momentum, this.dampening, this.weightDecay, +this.nesterov, +this.maximize, 0);
  }

  protected stateOf(k: number, x: FloatArray): readonly [FloatArray | null, null, null] {
    // The momentum buffer (none without momentum); the native rule copies the first gradient into it.
    if (this.momentum === 0) return [null, null, null];
    return [(this.buffers[k] ??= allocate(dtypeOf(x), x.length)), null, null];
  }
}
