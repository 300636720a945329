// The CPU backend: every op of types.ts over the addon's CPU kernels.
import type { Tensor } from '../tensor/tensor.js';
import { dist, distAsync } from './cpu/dist.js';
import { sinkhorn, sinkhornAdjoint, sinkhornAsync } from './cpu/sinkhorn.js';
import type { Backend } from './types.js';

export const cpu: Backend = {
  dist,
  distAsync,
  sinkhorn,
  sinkhornAsync,
  sinkhornAdjoint,
  // Always a copy: a leaf may adopt a gradient's buffer as its .grad and accumulate into it in place.
  scaled: (t: Tensor, s: number) => t.mul(s),
};
