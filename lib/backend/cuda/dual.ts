// Dual losses and plans on the GPU: one fused pass (native/cuda/dual.cu, squared Euclidean cost) on
// the inputs' device buffers; the loss's gradients stay on the GPU.
import { throwIfAborted, withCancelFlag } from '../../core/cancel.js';
import { nativeCuda, type CudaDualResult, type CudaOperand } from '../../cuda/native-cuda.js';
import { hostOnCuda, operand, scaledBuffer } from '../../cuda/tensors.js';
import { allocate } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { WANT } from '../native-dual.js';
import type { DualInput as Problem } from '../types.js';

/** cpu/dual.ts's fields on the inputs' buffers (u's picks the GPU): resolve() has checked the metric is sqeuclidean. */
function fields(pb: Problem) {
  const w = (t: Tensor | null): CudaOperand | null => t && operand(t);
  return {
    u: pb.u.cudaBuffer(), v: operand(pb.v), xs: operand(pb.xs), xt: operand(pb.xt), ws: w(pb.ws), wt: w(pb.wt),
    d: pb.d, kind: pb.kind, metric: pb.metric, p: pb.p, reg: pb.reg,
  };
}

/** The gradients the kernel must produce (WANT bits): those of the inputs that require grad. */
function wantMask(pb: Problem): number {
  const bit = (t: Tensor | null, b: number) => (t?.requiresGrad ? b : 0);
  return bit(pb.u, WANT.u) | bit(pb.v, WANT.v) | bit(pb.xs, WANT.xs) | bit(pb.xt, WANT.xt) | bit(pb.ws, WANT.ws) | bit(pb.wt, WANT.wt);
}

/** The loss as a cuda scalar whose backward only scales the gradients the forward pass computed. */
function lossOutput(name: string, pb: Problem, r: CudaDualResult): Tensor {
  const data = allocate(pb.dtype, 1);
  data[0] = r.loss;
  const { u, v, xs, xt, ws, wt } = pb;
  if (![u, v, xs, xt, ws, wt].some((t) => t?.requiresGrad)) return hostOnCuda(data, []);
  return Tensor.fromOp(data, [], {
    name,
    inputs: [u, v, xs, xt, ws, wt],
    backward: (g: Tensor) => {
      const s = g.item();
      return [
        scaledBuffer(r.du, s, u.shape), scaledBuffer(r.dv, s, v.shape), scaledBuffer(r.dxs, s, xs.shape), scaledBuffer(r.dxt, s, xt.shape),
        ws && scaledBuffer(r.dws, s, ws.shape), wt && scaledBuffer(r.dwt, s, wt.shape),
      ];
    },
  }, 'cuda');
}

export function dualLoss(fn: string, pb: Problem): Tensor {
  return lossOutput(fn, pb, nativeCuda.dualLoss({ ...fields(pb), want: wantMask(pb) }));
}

export async function dualLossAsync(fn: string, pb: Problem, signal: AbortSignal | undefined): Promise<Tensor> {
  const o = { ...fields(pb), want: wantMask(pb) };
  const r = await withCancelFlag(fn, signal, (cancel) => nativeCuda.dualLossAsync({ ...o, cancel }));
  return lossOutput(fn, pb, r);
}

export function dualPlan(_fn: string, pb: Problem): Tensor {
  return new Tensor(nativeCuda.dualPlan(fields(pb)), [pb.n, pb.m]);
}

/** The plan kernel cannot be stopped midway: an abort is honoured before and after it. */
export async function dualPlanAsync(fn: string, pb: Problem, signal: AbortSignal | undefined): Promise<Tensor> {
  throwIfAborted(fn, signal);
  const G = await nativeCuda.dualPlanAsync(fields(pb));
  throwIfAborted(fn, signal);
  return new Tensor(G, [pb.n, pb.m]);
}
