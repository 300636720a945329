// Cost matrices on the GPU: the addon's distForward / distBackward with cpu/dist.ts's fields and x as a
// CudaBuffer, which runs native/napi/cuda.cc's Jobs (native/cuda/dist.cu) on the inputs' device buffers;
// M and the gradients stay on the GPU.
import { throwIfAborted } from '../../core/cancel.js';
import { nativeCuda, type CudaBuffer } from '../../cuda/native-cuda.js';
import { operandAs } from '../../cuda/tensors.js';
import { Tensor } from '../../tensor/tensor.js';
import type { DistInput as Problem } from '../types.js';

function fields(pb: Problem, x: CudaBuffer, y: CudaBuffer) {
  return { x, y, n: pb.n, m: pb.m, d: pb.d, metric: pb.metric, p: pb.p, same: pb.same };
}

/** M as a cuda tensor whose backward runs on the forward's own buffers. */
function output(pb: Problem, xb: CudaBuffer, yb: CudaBuffer, M: CudaBuffer): Tensor {
  const { x, y } = pb;
  // GPU buffers are never written in place: xb and yb are the forward's inputs even if x and y are
  // updated later (an optimiser step re-uploads into new buffers).
  return Tensor.fromOp(M, [pb.n, pb.m], {
    name: `dist(${pb.metric})`,
    inputs: [x, y],
    backward: (g: Tensor) => {
      const G = operandAs(g, x.dtype);
      const [gx, gy] = nativeCuda.distBackward({ ...fields(pb, xb, yb), G, needX: x.requiresGrad, needY: y.requiresGrad });
      return [gx && new Tensor(gx, [pb.n, pb.d]), gy && new Tensor(gy, [pb.m, pb.d])];
    },
  });
}

function buffers(pb: Problem): [CudaBuffer, CudaBuffer] {
  const xb = pb.x.cudaBuffer();
  return [xb, pb.same ? xb : pb.y.cudaBuffer()];
}

export function dist(pb: Problem): Tensor {
  const [xb, yb] = buffers(pb);
  return output(pb, xb, yb, nativeCuda.distForward(fields(pb, xb, yb)));
}

/** The GPU kernel cannot be stopped midway: an abort is honoured before the launch and after it. */
export async function distAsync(fn: string, pb: Problem, signal: AbortSignal | undefined): Promise<Tensor> {
  throwIfAborted(fn, signal);
  const [xb, yb] = buffers(pb);
  const M = await nativeCuda.distForwardAsync(fields(pb, xb, yb));
  throwIfAborted(fn, signal);
  return output(pb, xb, yb, M);
}
