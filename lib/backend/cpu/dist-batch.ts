// Batched cost matrices on the CPU: forward and backward in native/cpu/batch_dist.cc.
import { withCancelFlag } from '../../core/cancel.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { nativeBatch, type DistBatchOptions } from '../native-batch.js';
import type { DistBatchInput } from '../types.js';

function options(r: DistBatchInput): DistBatchOptions {
  return { X: r.X.data, Y: r.same ? null : r.Y.data, B: r.B, n: r.n, m: r.m, d: r.d, metric: r.metric, p: r.p };
}

function wrap(r: DistBatchInput, M: FloatArray): Tensor {
  return Tensor.fromOp(M, [r.B, r.n, r.m], {
    name: 'distBatch',
    inputs: [r.X, r.Y],
    backward: (G) => {
      // With Y = X the inputs are [X, X]: the autograd tape adds both slots' parts into X.
      const g = nativeBatch.distBatchBackward({ ...options(r), M, G: G.data, wantX: r.X.requiresGrad, wantY: r.Y.requiresGrad });
      const gX = g.gX ? new Tensor(g.gX, r.X.shape) : null;
      const gY = g.gY ? new Tensor(g.gY, r.Y.shape) : null;
      return [gX, gY];
    },
  });
}

export function distBatch(r: DistBatchInput): Tensor {
  return wrap(r, nativeBatch.distBatch(options(r)));
}

export async function distBatchAsync(fn: string, r: DistBatchInput, signal: AbortSignal | undefined): Promise<Tensor> {
  const M = await withCancelFlag(fn, signal, (cancel) => nativeBatch.distBatchAsync({ ...options(r), cancel }));
  return wrap(r, M);
}
