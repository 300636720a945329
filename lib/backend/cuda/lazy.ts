// Lazy Sinkhorn on the GPU (native/cuda/lazy_sinkhorn.cu): cpu/lazy.ts's problem on the points' device
// buffers. The potentials come back to the host (O(n + m)); the envelope gradients w.r.t. the points stay on
// the GPU, and the weights' gradients (reg·(f − mean f)) are made on the host and uploaded.
import { withCancelFlag } from '../../core/cancel.js';
import { hostOnCuda, operand, scaledBuffer } from '../../cuda/tensors.js';
import { nativeCuda, type CudaLazyRaw } from '../../cuda/native-cuda.js';
import { Tensor } from '../../tensor/tensor.js';
import { lazyOutput, mean, scaled } from '../cpu/lazy.js';
import type { LazySinkhornInput, LazySinkhornOutput } from '../types.js';

function fields(pb: LazySinkhornInput) {
  const w = (t: Tensor | null) => t && operand(t);
  return {
    x: pb.x.cudaBuffer(), y: operand(pb.y), a: w(pb.a), b: w(pb.b), n: pb.n, m: pb.m, d: pb.d,
    reg: pb.reg, maxIter: pb.maxIter, tol: pb.tol, tile: pb.tile, grad: pb.x.requiresGrad || pb.y.requiresGrad,
  };
}

function output(pb: LazySinkhornInput, raw: CudaLazyRaw): LazySinkhornOutput {
  const { x, y, a, b } = pb;
  // The weights' gradients reg·(f − mean f)·s are made on the host (f came back) and uploaded on use.
  const weightGrad = (t: Tensor, v: Float64Array, s: number) => hostOnCuda(scaled(v, s * pb.reg, mean(v), t.dtype), t.shape);
  return lazyOutput(pb, raw, (s) => [
    scaledBuffer(raw.gradX, s, x.shape), scaledBuffer(raw.gradY, s, y.shape), a && weightGrad(a, raw.f, s), b && weightGrad(b, raw.g, s),
  ], 'cuda');
}

export function lazySinkhorn(pb: LazySinkhornInput): LazySinkhornOutput {
  return output(pb, nativeCuda.lazySinkhorn(fields(pb)));
}

export async function lazySinkhornAsync(fn: string, pb: LazySinkhornInput, signal: AbortSignal | undefined): Promise<LazySinkhornOutput> {
  const o = fields(pb);
  const raw = await withCancelFlag(fn, signal, (cancel) => nativeCuda.lazySinkhornAsync({ ...o, cancel }));
  return output(pb, raw);
}
