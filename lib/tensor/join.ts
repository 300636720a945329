// ot.stack and ot.cat (torch.stack / torch.cat), differentiable: the public faces of layout.ts's join.
import { concat, stack as stackAlong } from './layout.js';
import type { Tensor } from './tensor.js';

/**
 * Tensors of one shape joined along a new dim (default 0).
 * @example const A = ot.stack([a1, a2], 1);   // two [n] histograms as the columns of [n, 2]
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return stackAlong(tensors, dim);
}

/**
 * Tensors joined along an existing dim (default 0); shapes must agree elsewhere.
 * @example const X = ot.cat([xs, xt]);   // [ns + nt, d]
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return concat('cat', tensors, dim);
}
