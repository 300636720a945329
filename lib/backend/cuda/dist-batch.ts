// Batched cost matrices on the GPU: the B matrices and their backward (native/napi/cuda_batch_dist.cc
// over native/cuda/dist.cu) on the inputs' buffers.
import { throwIfAborted } from '../../core/cancel.js';
import { nativeCuda, type CudaBuffer } from '../../cuda/native-cuda.js';
import { operandAs } from '../../cuda/tensors.js';
import { Tensor } from '../../tensor/tensor.js';
import type { DistBatchInput as Resolved } from '../types.js';

function head(r: Resolved, xb: CudaBuffer, yb: CudaBuffer) {
  // The facade has turned 'kl' away (features.distBatchMetrics).
  const metric = r.metric as 'sqeuclidean' | 'euclidean' | 'minkowski';
  return [xb, yb, r.B, r.n, r.m, r.d, metric, r.p] as const;
}

function buffers(r: Resolved): [CudaBuffer, CudaBuffer] {
  const xb = r.X.cudaBuffer();
  return [xb, r.same ? xb : r.Y.cudaBuffer()];
}

/** M as a cuda tensor whose backward runs on the forward's own (never rewritten) input buffers. */
function wrap(r: Resolved, xb: CudaBuffer, yb: CudaBuffer, M: CudaBuffer): Tensor {
  return Tensor.fromOp(M, [r.B, r.n, r.m], {
    name: 'distBatch',
    inputs: [r.X, r.Y],
    backward: (G) => {
      // With Y = X the inputs are [X, X]: the autograd tape adds both slots' parts into X.
      const [gX, gY] = nativeCuda.cudaDistBatchBackwardDevice(...head(r, xb, yb), operandAs(G, r.X.dtype), r.X.requiresGrad, r.Y.requiresGrad);
      return [gX && new Tensor(gX, r.X.shape), gY && new Tensor(gY, r.Y.shape)];
    },
  });
}

export function distBatch(r: Resolved): Tensor {
  const [xb, yb] = buffers(r);
  return wrap(r, xb, yb, nativeCuda.cudaDistBatchDevice(...head(r, xb, yb)));
}

/** The GPU launches cannot be stopped midway: an abort is honoured before and after them. */
export async function distBatchAsync(fn: string, r: Resolved, signal: AbortSignal | undefined): Promise<Tensor> {
  throwIfAborted(fn, signal);
  const [xb, yb] = buffers(r);
  const M = await nativeCuda.cudaDistBatchDeviceAsync(...head(r, xb, yb));
  throwIfAborted(fn, signal);
  return wrap(r, xb, yb, M);
}
