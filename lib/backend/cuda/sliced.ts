// Sliced Wasserstein for cuda tensors. There is no GPU kernel yet: the samples and projections are
// copied to the host (differentiably), the CPU pass runs, and the value is returned on the GPU, so a
// cuda call gives the same fields and gradients as a CPU one, at the price of the copies.
import type { Tensor } from '../../tensor/tensor.js';
import * as host from '../cpu/sliced.js';
import type { SlicedInput, SlicedOutput } from '../types.js';

const toHost = (t: Tensor | null): Tensor | null => t && t.to('cpu');

function hostInput(pb: SlicedInput): SlicedInput {
  return { ...pb, xS: pb.xS.to('cpu'), xT: pb.xT.to('cpu'), a: toHost(pb.a), b: toHost(pb.b), projections: pb.projections.to('cpu') };
}

const onDevice = (r: SlicedOutput): SlicedOutput => ({ ...r, value: r.value.to('cuda') });

export function sliced(pb: SlicedInput): SlicedOutput {
  return onDevice(host.sliced(hostInput(pb)));
}

export async function slicedAsync(fn: string, pb: SlicedInput, signal: AbortSignal | undefined): Promise<SlicedOutput> {
  return onDevice(await host.slicedAsync(fn, hostInput(pb), signal));
}
