// 1-D exact OT for cuda tensors. wasserstein1d runs on the GPU: the addon's wasserstein1d with
// cpu/oned.ts's fields and u as a CudaBuffer runs native/napi/cuda_oned.cc's Job (native/cuda/oned.cu);
// the values come back to the host (k numbers), the position gradients stay on the GPU. emd1d (a plan)
// has no GPU kernel: its samples are copied to the host, solved by the CPU kernel, the plan returned on
// the GPU.
import { withCancelFlag } from '../../core/cancel.js';
import { nativeCuda, type CudaWasserstein1dOut } from '../../cuda/native-cuda.js';
import { mainBuffer, operand, scaledGrad } from '../../cuda/tensors.js';
import { Tensor } from '../../tensor/tensor.js';
import * as host from '../cpu/oned.js';
import type { Emd1dInput, Emd1dOutput, Wasserstein1dInput } from '../types.js';

function fields(pb: Wasserstein1dInput) {
  return {
    u: mainBuffer(pb.u), v: operand(pb.v), uWeights: pb.uWeights && operand(pb.uWeights), vWeights: pb.vWeights && operand(pb.vWeights),
    n: pb.n, m: pb.m, k: pb.k, p: pb.p, needU: pb.u.requiresGrad, needV: pb.v.requiresGrad,
  };
}

/** The value as a cuda tensor in u's dtype; the backward is a per-column scaling of the GPU gradients. */
function output(pb: Wasserstein1dInput, raw: CudaWasserstein1dOut): Tensor {
  const { u, v } = pb;
  return host.w1dOutput(pb, raw.value, (g) => [
    raw.gradU && scaledGrad(new Tensor(raw.gradU, u.shape), g, u.dtype),
    raw.gradV && scaledGrad(new Tensor(raw.gradV, v.shape), g, v.dtype),
  ], 'cuda');
}

export function wasserstein1d(pb: Wasserstein1dInput): Tensor {
  return output(pb, nativeCuda.wasserstein1d(fields(pb)));
}

export async function wasserstein1dAsync(fn: string, pb: Wasserstein1dInput, signal: AbortSignal | undefined): Promise<Tensor> {
  // fields() runs after the abort check: an aborted call uploads nothing.
  const raw = await withCancelFlag(fn, signal, (cancel) => nativeCuda.wasserstein1dAsync({ ...fields(pb), cancel }));
  return output(pb, raw);
}

const toHost = (t: Tensor | null): Tensor | null => t && t.to('cpu');

function hostEmdInput(pb: Emd1dInput): Emd1dInput {
  return { ...pb, xA: pb.xA.to('cpu'), xB: pb.xB.to('cpu'), a: toHost(pb.a), b: toHost(pb.b) };
}

const emdOnDevice = (r: Emd1dOutput): Emd1dOutput => ({ ...r, plan: r.plan && r.plan.to('cuda') });

export function emd1d(pb: Emd1dInput): Emd1dOutput {
  return emdOnDevice(host.emd1d(hostEmdInput(pb)));
}

export async function emd1dAsync(fn: string, pb: Emd1dInput, signal: AbortSignal | undefined): Promise<Emd1dOutput> {
  return emdOnDevice(await host.emd1dAsync(fn, hostEmdInput(pb), signal));
}
