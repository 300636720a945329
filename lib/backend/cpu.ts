// The CPU backend: every op of types.ts over the addon's CPU kernels (one module per op under cpu/).
import { BATCH_METRICS, METRICS } from '../core/vocabulary.js';
import type { Tensor } from '../tensor/tensor.js';
import * as batchSinkhorn from './cpu/batch-sinkhorn.js';
import * as dist from './cpu/dist.js';
import * as distBatch from './cpu/dist-batch.js';
import * as emd from './cpu/emd.js';
import * as dual from './cpu/dual.js';
import * as oned from './cpu/oned.js';
import * as mm from './cpu/mm-unbalanced.js';
import * as sinkhorn from './cpu/sinkhorn.js';
import * as sliced from './cpu/sliced.js';
import * as lazy from './cpu/lazy.js';
import type { Backend } from './types.js';

export const cpu: Backend = {
  ...dist, ...distBatch, ...sinkhorn, ...batchSinkhorn, ...dual, ...emd, ...oned, ...sliced, ...mm, ...lazy,
  features: { distBatchMetrics: BATCH_METRICS, dualMetrics: METRICS, nativeValueChecks: true },
  // Always a copy: a leaf may adopt a gradient's buffer as its .grad and accumulate into it in place.
  scaled: (t: Tensor, s: number) => t.mul(s),
};
