// The CPU backend: every op of types.ts over the addon's CPU kernels.
import { BATCH_METRICS, METRICS } from '../core/vocabulary.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchSinkhorn, batchSinkhornAsync } from './cpu/batch-sinkhorn.js';
import { dist, distAsync } from './cpu/dist.js';
import { distBatch, distBatchAsync } from './cpu/dist-batch.js';
import { dualLoss, dualLossAsync, dualPlan, dualPlanAsync } from './cpu/dual.js';
import { sinkhorn, sinkhornAdjoint, sinkhornAsync } from './cpu/sinkhorn.js';
import type { Backend } from './types.js';

export const cpu: Backend = {
  features: { distBatchMetrics: BATCH_METRICS, dualMetrics: METRICS, nativeValueChecks: true },
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
  // Always a copy: a leaf may adopt a gradient's buffer as its .grad and accumulate into it in place.
  scaled: (t: Tensor, s: number) => t.mul(s),
};
