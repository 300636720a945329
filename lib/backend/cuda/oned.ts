// 1-D exact OT for cuda tensors. There is no GPU kernel yet: the samples are copied to the host
// (differentiably), solved by the CPU kernels, and the results returned on the GPU, so a cuda call
// gives the same fields and gradients as a CPU one, at the price of the copies.
import type { Tensor } from '../../tensor/tensor.js';
import * as host from '../cpu/oned.js';
import type { Emd1dInput, Emd1dOutput, Wasserstein1dInput } from '../types.js';

const toHost = (t: Tensor | null): Tensor | null => t && t.to('cpu');

function hostInput(pb: Wasserstein1dInput): Wasserstein1dInput {
  return { ...pb, u: pb.u.to('cpu'), v: pb.v.to('cpu'), uWeights: toHost(pb.uWeights), vWeights: toHost(pb.vWeights) };
}

function hostEmdInput(pb: Emd1dInput): Emd1dInput {
  return { ...pb, xA: pb.xA.to('cpu'), xB: pb.xB.to('cpu'), a: toHost(pb.a), b: toHost(pb.b) };
}

const emdOnDevice = (r: Emd1dOutput): Emd1dOutput => ({ ...r, plan: r.plan && r.plan.to('cuda') });

export function wasserstein1d(pb: Wasserstein1dInput): Tensor {
  return host.wasserstein1d(hostInput(pb)).to('cuda');
}

export async function wasserstein1dAsync(fn: string, pb: Wasserstein1dInput, signal: AbortSignal | undefined): Promise<Tensor> {
  return (await host.wasserstein1dAsync(fn, hostInput(pb), signal)).to('cuda');
}

export function emd1d(pb: Emd1dInput): Emd1dOutput {
  return emdOnDevice(host.emd1d(hostEmdInput(pb)));
}

export async function emd1dAsync(fn: string, pb: Emd1dInput, signal: AbortSignal | undefined): Promise<Emd1dOutput> {
  return emdOnDevice(await host.emd1dAsync(fn, hostEmdInput(pb), signal));
}
