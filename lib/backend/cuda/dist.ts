// Cost matrices on the GPU (native/cuda/dist.cu) on the inputs' device buffers; M and the
// gradients stay on the GPU.
import { throwIfAborted } from '../../core/cancel.js';
import { nativeCuda, type CudaBuffer } from '../../cuda/native-cuda.js';
import { operandAs } from '../../cuda/tensors.js';
import { Tensor } from '../../tensor/tensor.js';
import type { DistInput as Problem } from '../types.js';

function head(pb: Problem, xb: CudaBuffer, yb: CudaBuffer) {
  return [xb, yb, pb.n, pb.m, pb.d, pb.metric, pb.p, pb.same] as const;
}

/** M as a cuda tensor whose backward runs cudaDistBackwardDevice on the forward's own buffers. */
function output(pb: Problem, xb: CudaBuffer, yb: CudaBuffer, M: CudaBuffer): Tensor {
  const { x, y } = pb;
  // GPU buffers are never written in place: xb and yb are the forward's inputs even if x and y are
  // updated later (an optimiser step re-uploads into new buffers).
  return Tensor.fromOp(M, [pb.n, pb.m], {
    name: `dist(${pb.metric})`,
    inputs: [x, y],
    backward: (g: Tensor) => {
      const G = operandAs(g, x.dtype);
      const [gx, gy] = nativeCuda.cudaDistBackwardDevice(...head(pb, xb, yb), G, x.requiresGrad, y.requiresGrad);
      return [gx && new Tensor(gx, [pb.n, pb.d]), gy && new Tensor(gy, [pb.m, pb.d])];
    },
  });
}

export function dist(pb: Problem): Tensor {
  const xb = pb.x.cudaBuffer();
  const yb = pb.same ? xb : pb.y.cudaBuffer();
  return output(pb, xb, yb, nativeCuda.cudaDistDevice(...head(pb, xb, yb)));
}

/** The GPU kernel cannot be stopped midway: an abort is honoured before the launch and after it. */
export async function distAsync(fn: string, pb: Problem, signal: AbortSignal | undefined): Promise<Tensor> {
  throwIfAborted(fn, signal);
  const xb = pb.x.cudaBuffer();
  const yb = pb.same ? xb : pb.y.cudaBuffer();
  const M = await nativeCuda.cudaDistDeviceAsync(...head(pb, xb, yb));
  throwIfAborted(fn, signal);
  return output(pb, xb, yb, M);
}
