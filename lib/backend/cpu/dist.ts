// Cost matrices on the CPU: forward and backward in native/cpu/dist.cc and dist_backward.cc.
import { withCancelFlag } from '../../core/cancel.js';
import type { GradFn } from '../../tensor/autograd.js';
import { allocate, type FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { nativeCosts, type DistFields } from '../native-costs.js';
import type { DistInput } from '../types.js';

function fields(pb: DistInput, x: FloatArray, y: FloatArray): DistFields {
  return { x, y, n: pb.n, m: pb.m, d: pb.d, metric: pb.metric, p: pb.p, same: pb.same };
}

function toDtype(src: FloatArray, like: FloatArray): FloatArray {
  const out = allocate(like instanceof Float32Array ? 'float32' : 'float64', src.length);
  out.set(src);
  return out;
}

/** Wraps a computed matrix as the op's output, recording the native backward when an input needs it. */
function output(pb: DistInput, M: FloatArray): Tensor {
  const { x, y } = pb;
  if (!x.requiresGrad && !y.requiresGrad) return new Tensor(M, [pb.n, pb.m]);
  // Snapshots: the backward must see the inputs of this forward even if their storage is later
  // updated in place (e.g. by an optimiser step).
  const xs = x.data.slice();
  const ys = pb.same ? xs : y.data.slice();
  const gradFn: GradFn = {
    name: `dist(${pb.metric})`,
    inputs: [x, y],
    backward: (g: Tensor) => {
      const G = g.dtype === x.dtype ? g.data : toDtype(g.data, M);
      const [gx, gy] = nativeCosts.distBackward({ ...fields(pb, xs, ys), M, G, needX: x.requiresGrad, needY: y.requiresGrad });
      return [gx && new Tensor(gx, [pb.n, pb.d]), gy && new Tensor(gy, [pb.m, pb.d])];
    },
  };
  return Tensor.fromOp(M, [pb.n, pb.m], gradFn);
}

export function dist(pb: DistInput): Tensor {
  return output(pb, nativeCosts.distForward(fields(pb, pb.x.data, pb.y.data)));
}

export async function distAsync(fn: string, pb: DistInput, signal: AbortSignal | undefined): Promise<Tensor> {
  const M = await withCancelFlag(fn, signal, (cancel) => nativeCosts.distForwardAsync({ ...fields(pb, pb.x.data, pb.y.data), cancel }));
  return output(pb, M);
}
