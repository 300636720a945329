// The CUDA backend: every op of types.ts over the addon's GPU kernels, on device buffers.
import type { Tensor } from '../tensor/tensor.js';
import { batchSinkhorn, batchSinkhornAsync } from './cuda/batch-sinkhorn.js';
import { dist, distAsync } from './cuda/dist.js';
import { distBatch, distBatchAsync } from './cuda/dist-batch.js';
import { dualLoss, dualLossAsync, dualPlan, dualPlanAsync } from './cuda/dual.js';
import { sinkhorn, sinkhornAdjoint, sinkhornAsync } from './cuda/sinkhorn.js';
import type { Backend } from './types.js';

export const cuda: Backend = {
  // The GPU kernels: no 'kl' batch metric, the dual pass computes 'sqeuclidean' only, values are
  // checked only where a host copy exists (no copy back just to check).
  features: { distBatchMetrics: ['sqeuclidean', 'euclidean', 'minkowski'], dualMetrics: ['sqeuclidean'], nativeValueChecks: false },
  dist,
  distAsync,
  sinkhorn,
  sinkhornAsync,
  sinkhornAdjoint,
  distBatch,
  distBatchAsync,
  batchSinkhorn,
  batchSinkhornAsync,
  dualLoss,
  dualLossAsync,
  dualPlan,
  dualPlanAsync,
  // GPU buffers are never written in place, so a factor of 1 can share the storage.
  scaled: (t: Tensor, s: number) => (s === 1 ? t : t.mul(s)),
};
