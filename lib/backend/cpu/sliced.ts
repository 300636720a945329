// Sliced Wasserstein on the CPU (native/cpu/sliced.cc): every projection in one native pass on
// threads, with the gradient of the requested distance w.r.t. xS / xT computed in the same pass (so
// the backward is one scaling).
import { withCancelFlag } from '../../core/cancel.js';
import type { GradFn } from '../../tensor/autograd.js';
import { allocate, type Device, type DType, type FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { nativeSliced, type SlicedOptions, type SlicedRaw } from '../native-sliced.js';
import type { SlicedInput, SlicedOutput } from '../types.js';

function fields(pb: SlicedInput): SlicedOptions {
  const needS = pb.xS.requiresGrad, needT = pb.xT.requiresGrad;
  return {
    xS: pb.xS.data, xT: pb.xT.data, a: pb.a?.data ?? null, b: pb.b?.data ?? null, projections: pb.projections.data,
    n: pb.n, m: pb.m, d: pb.d, k: pb.k, p: pb.p, grad: needS || needT ? pb.kind : 'none', needS, needT,
  };
}

function scaled(grad: FloatArray, s: number, dtype: DType): FloatArray {
  const out = allocate(dtype, grad.length);
  for (let i = 0; i < grad.length; i++) out[i] = grad[i]! * s;
  return out;
}

/** The distance on `device` (mean or max, as pb.kind), its backward from `grads(g)`; both devices share this. */
export function slicedOutput(
  pb: SlicedInput, raw: Pick<SlicedRaw, 'value' | 'maxValue' | 'projected' | 'argMax'>, grads: (g: Tensor) => (Tensor | null)[], device: Device,
): SlicedOutput {
  const value = allocate(pb.xS.dtype, 1);
  value[0] = pb.kind === 'mean' ? raw.value : raw.maxValue;
  const gradFn: GradFn = {
    name: pb.kind === 'mean' ? 'slicedWassersteinDistance' : 'maxSlicedWassersteinDistance',
    inputs: [pb.xS, pb.xT],
    backward: grads,
  };
  return { value: Tensor.fromOp(value, [], gradFn, device), projected: raw.projected, argMax: raw.argMax };
}

function output(pb: SlicedInput, raw: SlicedRaw): SlicedOutput {
  const { xS, xT } = pb;
  return slicedOutput(pb, raw, (g) => {
    const s = g.data[0]!;
    return [raw.gradS && new Tensor(scaled(raw.gradS, s, xS.dtype), xS.shape), raw.gradT && new Tensor(scaled(raw.gradT, s, xT.dtype), xT.shape)];
  }, 'cpu');
}

export function sliced(pb: SlicedInput): SlicedOutput {
  return output(pb, nativeSliced.slicedWasserstein(fields(pb)));
}

export async function slicedAsync(fn: string, pb: SlicedInput, signal: AbortSignal | undefined): Promise<SlicedOutput> {
  const raw = await withCancelFlag(fn, signal, (cancel) => nativeSliced.slicedWassersteinAsync({ ...fields(pb), cancel }));
  return output(pb, raw);
}
