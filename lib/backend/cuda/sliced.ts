// Sliced Wasserstein for cuda tensors on the GPU: the addon's slicedWasserstein with cpu/sliced.ts's
// fields and xS as a CudaBuffer runs native/napi/cuda_oned.cc's Job (native/cuda/sliced.cu): every
// projection in one pass, the values back on the host (k + 2 numbers), the gradients w.r.t. xS / xT
// left on the GPU.
import { withCancelFlag } from '../../core/cancel.js';
import { nativeCuda, type CudaSlicedOut } from '../../cuda/native-cuda.js';
import { mainBuffer, operand, scaledGrad } from '../../cuda/tensors.js';
import { Tensor } from '../../tensor/tensor.js';
import { slicedOutput } from '../cpu/sliced.js';
import type { SlicedInput, SlicedOutput } from '../types.js';

function fields(pb: SlicedInput) {
  const needS = pb.xS.requiresGrad, needT = pb.xT.requiresGrad;
  return {
    xS: mainBuffer(pb.xS), xT: operand(pb.xT), a: pb.a && operand(pb.a), b: pb.b && operand(pb.b), projections: operand(pb.projections),
    n: pb.n, m: pb.m, d: pb.d, k: pb.k, p: pb.p, grad: needS || needT ? pb.kind : 'none', needS, needT,
  } as const;
}

function output(pb: SlicedInput, raw: CudaSlicedOut): SlicedOutput {
  const { xS, xT } = pb;
  return slicedOutput(pb, raw, (g) => [
    raw.gradS && scaledGrad(new Tensor(raw.gradS, xS.shape), g, xS.dtype),
    raw.gradT && scaledGrad(new Tensor(raw.gradT, xT.shape), g, xT.dtype),
  ], 'cuda');
}

export function sliced(pb: SlicedInput): SlicedOutput {
  return output(pb, nativeCuda.slicedWasserstein(fields(pb)));
}

export async function slicedAsync(fn: string, pb: SlicedInput, signal: AbortSignal | undefined): Promise<SlicedOutput> {
  const raw = await withCancelFlag(fn, signal, (cancel) => nativeCuda.slicedWassersteinAsync({ ...fields(pb), cancel }));
  return output(pb, raw);
}
