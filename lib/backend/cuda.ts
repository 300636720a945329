// The CUDA backend: every op of types.ts over the addon's GPU kernels, on device buffers (one module
// per op under cuda/, each the twin of its cpu/ module).
import type { Tensor } from '../tensor/tensor.js';
import * as batchSinkhorn from './cuda/batch-sinkhorn.js';
import * as dist from './cuda/dist.js';
import * as distBatch from './cuda/dist-batch.js';
import * as emd from './cuda/emd.js';
import * as lazy from './cuda/lazy.js';
import * as dual from './cuda/dual.js';
import * as oned from './cuda/oned.js';
import * as sinkhorn from './cuda/sinkhorn.js';
import * as sliced from './cuda/sliced.js';
import type { Backend } from './types.js';

export const cuda: Backend = {
  ...dist, ...distBatch, ...sinkhorn, ...batchSinkhorn, ...dual, ...emd, ...lazy, ...oned, ...sliced,
  // The GPU kernels: no 'kl' batch metric, the dual pass computes 'sqeuclidean' only, values are
  // checked only where a host copy exists (no copy back just to check).
  features: { distBatchMetrics: ['sqeuclidean', 'euclidean', 'minkowski'], dualMetrics: ['sqeuclidean'], nativeValueChecks: false },
  // GPU buffers are never written in place, so a factor of 1 can share the storage.
  scaled: (t: Tensor, s: number) => (s === 1 ? t : t.mul(s)),
};
