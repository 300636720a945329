// Batched cost matrices on the GPU: the B matrices and their backward (native/napi/cuda_batch_dist.cc
// over native/cuda/dist.cu, with cpu/dist-batch.ts's fields) on the inputs' buffers.
import { throwIfAborted } from '../../core/cancel.js';
import { nativeCuda, type CudaBuffer } from '../../cuda/native-cuda.js';
import { operandAs } from '../../cuda/tensors.js';
import { Tensor } from '../../tensor/tensor.js';
import type { DistBatchInput as Resolved } from '../types.js';

// The facade has turned 'kl' away (features.distBatchMetrics); Y null means Y is X.
function options(r: Resolved, X: CudaBuffer, Y: CudaBuffer | null) {
  return { X, Y, B: r.B, n: r.n, m: r.m, d: r.d, metric: r.metric, p: r.p };
}

function buffers(r: Resolved): [CudaBuffer, CudaBuffer | null] {
  return [r.X.cudaBuffer(), r.same ? null : r.Y.cudaBuffer()];
}

/** M as a cuda tensor whose backward runs on the forward's own (never rewritten) input buffers. */
function wrap(r: Resolved, X: CudaBuffer, Y: CudaBuffer | null, M: CudaBuffer): Tensor {
  return Tensor.fromOp(M, [r.B, r.n, r.m], {
    name: 'distBatch',
    inputs: [r.X, r.Y],
    backward: (G) => {
      // With Y = X the inputs are [X, X]: the autograd tape adds both slots' parts into X.
      const g = nativeCuda.distBatchBackward({ ...options(r, X, Y), G: operandAs(G, r.X.dtype), wantX: r.X.requiresGrad, wantY: r.Y.requiresGrad });
      return [g.gX ? new Tensor(g.gX, r.X.shape) : null, g.gY ? new Tensor(g.gY, r.Y.shape) : null];
    },
  });
}

export function distBatch(r: Resolved): Tensor {
  const [X, Y] = buffers(r);
  return wrap(r, X, Y, nativeCuda.distBatch(options(r, X, Y)));
}

/** The GPU launches cannot be stopped midway: an abort is honoured before and after them. */
export async function distBatchAsync(fn: string, r: Resolved, signal: AbortSignal | undefined): Promise<Tensor> {
  throwIfAborted(fn, signal);
  const [X, Y] = buffers(r);
  const M = await nativeCuda.distBatchAsync(options(r, X, Y));
  throwIfAborted(fn, signal);
  return wrap(r, X, Y, M);
}
