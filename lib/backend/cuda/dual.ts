// Dual losses and plans on the GPU: one fused pass (native/cuda/dual.cu, squared Euclidean cost) on
// the inputs' device buffers; the loss's gradients stay on the GPU.
import { throwIfAborted, withCancelFlag } from '../../core/cancel.js';
import { nativeCuda, type CudaBuffer, type CudaDualNeeds, type CudaDualResult, type CudaOperand } from '../../cuda/native-cuda.js';
import { hostOnCuda, operand } from '../../cuda/tensors.js';
import { allocate } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import type { DualInput as Problem } from '../types.js';

/** (u, v, xs, xt, ws | null, wt | null, n, m, d, reg, kind): resolve() has checked the metric is sqeuclidean. */
function head(pb: Problem) {
  const w = (t: Tensor | null): CudaOperand | null => t && operand(t);
  return [operand(pb.u), operand(pb.v), operand(pb.xs), operand(pb.xt), w(pb.ws), w(pb.wt), pb.n, pb.m, pb.d, pb.reg, pb.kind] as const;
}

/** The gradients the kernel must produce: those of the inputs that require grad. */
function needs(pb: Problem): CudaDualNeeds {
  return {
    du: pb.u.requiresGrad, dv: pb.v.requiresGrad, dxs: pb.xs.requiresGrad, dxt: pb.xt.requiresGrad,
    dws: pb.ws?.requiresGrad ?? false, dwt: pb.wt?.requiresGrad ?? false,
  };
}

/** s · (a gradient the kernel produced): its own buffer when s is 1 (buffers are never written in place). */
function scaled(buf: CudaBuffer | null, s: number, shape: readonly number[]): Tensor | null {
  if (buf === null) return null;
  const g = new Tensor(buf, shape);
  return s === 1 ? g : g.mul(s);
}

/** The loss as a cuda scalar whose backward only scales the gradients the forward pass computed. */
function lossOutput(name: string, pb: Problem, r: CudaDualResult<CudaBuffer>): Tensor {
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
        scaled(r.du, s, u.shape), scaled(r.dv, s, v.shape), scaled(r.dxs, s, xs.shape), scaled(r.dxt, s, xt.shape),
        ws && scaled(r.dws, s, ws.shape), wt && scaled(r.dwt, s, wt.shape),
      ];
    },
  }, 'cuda');
}

export function dualLoss(fn: string, pb: Problem): Tensor {
  return lossOutput(fn, pb, nativeCuda.cudaDualLossDevice(...head(pb), needs(pb)));
}

export async function dualLossAsync(fn: string, pb: Problem, signal: AbortSignal | undefined): Promise<Tensor> {
  const h = head(pb);
  const r = await withCancelFlag(fn, signal, (flag) => nativeCuda.cudaDualLossDeviceAsync(...h, needs(pb), flag));
  return lossOutput(fn, pb, r);
}

export function dualPlan(_fn: string, pb: Problem): Tensor {
  return new Tensor(nativeCuda.cudaDualPlanDevice(...head(pb)), [pb.n, pb.m]);
}

/** The plan kernel cannot be stopped midway: an abort is honoured before and after it. */
export async function dualPlanAsync(fn: string, pb: Problem, signal: AbortSignal | undefined): Promise<Tensor> {
  throwIfAborted(fn, signal);
  const G = await nativeCuda.cudaDualPlanDeviceAsync(...head(pb));
  throwIfAborted(fn, signal);
  return new Tensor(G, [pb.n, pb.m]);
}
