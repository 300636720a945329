// POT's ot.da.EMDTransport: the exact OT coupling between uniform source and target samples.
import { checkInteger, checkOptions } from '../core/validate.js';
import { emd } from '../lp/emd.js';
import type { Tensor } from '../tensor/tensor.js';
import { BaseTransport } from './transport.js';

export interface EMDTransportOptions {
  /** Network simplex pivots (POT: max_iter, default 100000). */
  maxIter?: number;
  /** Pairs of labelled samples of different classes cost limitMax · max M (POT: limit_max, default 10). */
  limitMax?: number;
}

export class EMDTransport extends BaseTransport {
  private readonly maxIter: number;

  /**
   * @example
   * const t = new ot.da.EMDTransport();
   * const mapped = t.fit({ Xs, Xt }).transform({ Xs });
   */
  constructor(opts: EMDTransportOptions = {}) {
    checkOptions('EMDTransport', opts, ['maxIter', 'limitMax']);
    super('EMDTransport', opts.limitMax ?? 10);
    this.maxIter = checkInteger('EMDTransport', 'maxIter', opts.maxIter ?? 100000, 1, Number.MAX_SAFE_INTEGER);
  }

  protected couple(M: Tensor): Tensor {
    return emd(null, null, M, { maxIter: this.maxIter });
  }
}
