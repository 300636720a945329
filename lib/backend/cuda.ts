// The CUDA backend: every op of types.ts over the addon's GPU kernels, on device buffers.
import type { Tensor } from '../tensor/tensor.js';
import { dist, distAsync } from './cuda/dist.js';
import { sinkhorn, sinkhornAdjoint, sinkhornAsync } from './cuda/sinkhorn.js';
import type { Backend } from './types.js';

export const cuda: Backend = {
  dist,
  distAsync,
  sinkhorn,
  sinkhornAsync,
  sinkhornAdjoint,
  // GPU buffers are never written in place, so a factor of 1 can share the storage.
  scaled: (t: Tensor, s: number) => (s === 1 ? t : t.mul(s)),
};
