// Batched cost matrices on the CPU: forward and backward in native/cpu/batch_dist.cc.
import { withCancelFlag } from '../../core/cancel.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { nativeBatch } from '../native-batch.js';
import type { DistBatchInput } from '../types.js';

function nativeArgs(r: DistBatchInput) {
  return [r.X.data, r.same ? null : r.Y.data, r.B, r.n, r.m, r.d, r.metric, r.p] as const;
}

function wrap(r: DistBatchInput, M: FloatArray): Tensor {
  return Tensor.fromOp(M, [r.B, r.n, r.m], {
    name: 'distBatch',
    inputs: [r.X, r.Y],
    backward: (G) => {
      // With Y = X the inputs are [X, X]: the autograd tape adds both slots' parts into X.
      const g = nativeBatch.distBatchBackward(r.X.data, r.same ? null : r.Y.data, M, G.data, r.B, r.n, r.m, r.d, r.metric, r.p,
        r.X.requiresGrad, r.Y.requiresGrad);
      const gX = g.gX ? new Tensor(g.gX, r.X.shape) : null;
      const gY = g.gY ? new Tensor(g.gY, r.Y.shape) : null;
      return [gX, gY];
    },
  });
}

export function distBatch(r: DistBatchInput): Tensor {
  return wrap(r, nativeBatch.distBatch(...nativeArgs(r)));
}

export async function distBatchAsync(fn: string, r: DistBatchInput, signal: AbortSignal | undefined): Promise<Tensor> {
  const M = await withCancelFlag(fn, signal, (flag) => nativeBatch.distBatchAsync(...nativeArgs(r), flag));
  return wrap(r, M);
}
