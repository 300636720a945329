// Batched cost matrices (POT: ot.batch.dist_batch): M[b] = metric(X[b], Y[b]) for B sample sets,
// differentiable w.r.t. X and Y; options are resolved here, the kernels run on the backend of the inputs' device.
import { backendFor, callDevice, type DistBatchInput } from '../backend/index.js';
import { checkFiniteNumber, checkNonNegative, checkOneOf, checkOptions, fail } from '../core/validate.js';
import { alternatives, BATCH_METRICS, checkMinkowskiP, type BatchMetric, type Device } from '../core/vocabulary.js';
import { notOnCuda } from '../cuda/tensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchTensor } from './args.js';
import type { TensorInput } from '../tensor/input.js';

export type { BatchMetric };

export interface DistBatchOptions {
  /** Default 'sqeuclidean' (POT's); case-insensitive. */
  metric?: BatchMetric;
  /** Minkowski exponent, >= 1 (default 2). */
  p?: number;
}
export interface DistBatchAsyncOptions extends DistBatchOptions {
  /** Aborting rejects the promise with ERR_OT_ABORTED. */
  signal?: AbortSignal;
}

/** A validated distBatch call (X and Y on `device`, one dtype). */
interface Resolved extends DistBatchInput {
  device: Device;
}

function resolve(fn: string, Xv: unknown, Yv: unknown, opts: DistBatchAsyncOptions, keys: readonly string[]): Resolved {
  checkOptions(fn, opts, keys);
  const device = callDevice(fn, [['X', Xv], ['Y', Yv]]);
  let X = batchTensor(fn, 'X', Xv, 3, '[B, n, d]', false);
  const same = Yv === undefined || Yv === null;
  let Y = same ? X : batchTensor(fn, 'Y', Yv, 3, '[B, m, d]', false);
  const [B, n, d] = X.shape as [number, number, number];
  const m = Y.shape[1]!;
  if (Y.shape[0] !== B) fail('ERR_OT_SHAPE', `${fn}: X has ${B} problems but Y has ${Y.shape[0]}`);
  if (Y.shape[2] !== d) fail('ERR_OT_SHAPE', `${fn}: X has ${d} features but Y has ${Y.shape[2]}`);
  if (X.dtype !== Y.dtype) {
    X = X.to('float64');
    Y = Y.to('float64');
  }
  const mv = opts.metric ?? 'sqeuclidean';
  const metric = checkOneOf(fn, 'metric', typeof mv === 'string' ? mv.toLowerCase() : mv, BATCH_METRICS);
  const p = checkFiniteNumber(fn, 'p', opts.p ?? 2);
  if (metric === 'minkowski') checkMinkowskiP(fn, p);
  const { distBatchMetrics } = backendFor(device).features;
  if (!distBatchMetrics.includes(metric)) notOnCuda(fn, `the '${metric}' metric`, `use ${alternatives(distBatchMetrics)}, or CPU tensors`);
  if (metric === 'kl') {
    checkNonNegative(fn, 'X', X.data);
    if (!same) checkNonNegative(fn, 'Y', Y.data);
  }
  return { device, X, Y, same, B, n, m, d, metric, p };
}

/**
 * Cost matrices of B problems at once (POT: ot.batch.dist_batch). Without Y, M[b] = metric(X[b], X[b]).
 * On cuda tensors (X and Y on one device) M and its backward are computed on the GPU and M is a cuda
 * tensor; the 'kl' metric is CPU-only (ERR_OT_DEVICE).
 * @example
 * const X = ot.rand([16, 50, 3], { seed: 0 }), Y = ot.rand([16, 60, 3], { seed: 1 });
 * const M = ot.batch.distBatch(X, Y, { metric: 'euclidean' });  // [16, 50, 60]
 */
export function distBatch(X: TensorInput, Y?: TensorInput | null, opts: DistBatchOptions = {}): Tensor {
  const r = resolve('distBatch', X, Y, opts, ['metric', 'p']);
  return backendFor(r.device).distBatch(r);
}

/**
 * {@link distBatch} off the event loop; `signal` aborts it.
 * @example
 * const M = await ot.batch.distBatchAsync(X, Y, { metric: 'sqeuclidean' });
 */
export async function distBatchAsync(X: TensorInput, Y?: TensorInput | null, opts: DistBatchAsyncOptions = {}): Promise<Tensor> {
  const fn = 'distBatchAsync';
  const r = resolve(fn, X, Y, opts, ['metric', 'p', 'signal']);
  return backendFor(r.device).distBatchAsync(fn, r, opts.signal);
}
