// Lazy Sinkhorn on the GPU (native/cuda/lazy_sinkhorn.cu): cpu/lazy.ts's problem on the points' device
// buffers. The potentials come back to the host (O(n + m)); the envelope gradients w.r.t. the points stay on
// the GPU, and the weights' gradients (reg·(f − mean f)) are made on the host and uploaded.
import { withCancelFlag } from '../../core/cancel.js';
import { hostOnCuda, operand } from '../../cuda/tensors.js';
import { nativeCuda, type CudaBuffer, type CudaLazyRaw } from '../../cuda/native-cuda.js';
import type { GradFn } from '../../tensor/autograd.js';
import { allocate, type DType, type FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import type { LazySinkhornInput, LazySinkhornOutput } from '../types.js';

function fields(pb: LazySinkhornInput) {
  const w = (t: Tensor | null) => t && operand(t);
  return {
    x: pb.x.cudaBuffer(), y: operand(pb.y), a: w(pb.a), b: w(pb.b), n: pb.n, m: pb.m, d: pb.d,
    reg: pb.reg, maxIter: pb.maxIter, tol: pb.tol, tile: pb.tile, grad: pb.x.requiresGrad || pb.y.requiresGrad,
  };
}

/** reg · (v − mean v) · s on the host, as a cuda tensor of the weights' shape. */
function weightGrad(v: Float64Array, s: number, dtype: DType, shape: readonly number[]): Tensor {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i]!;
  mean /= v.length;
  const out: FloatArray = allocate(dtype, v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i]! - mean) * s;
  return hostOnCuda(out, shape);
}

function pointGrad(buf: CudaBuffer | null, s: number, shape: readonly number[]): Tensor | null {
  if (buf === null) return null;
  const g = new Tensor(buf, shape);
  return s === 1 ? g : g.mul(s);
}

function output(pb: LazySinkhornInput, raw: CudaLazyRaw): LazySinkhornOutput {
  const { x, y, a, b } = pb;
  const dtype = x.dtype;
  const value = allocate(dtype, 1);
  value[0] = raw.value;
  const linear = allocate(dtype, 1);
  linear[0] = raw.valueLinear;
  const gradFn: GradFn = {
    name: 'lazySinkhorn',
    inputs: [x, y, a, b],
    backward: (g: Tensor) => {
      const s = g.item();
      return [
        pointGrad(raw.gradX, s, x.shape), pointGrad(raw.gradY, s, y.shape),
        a && weightGrad(raw.f, s * pb.reg, a.dtype, a.shape), b && weightGrad(raw.g, s * pb.reg, b.dtype, b.shape),
      ];
    },
  };
  return {
    value: Tensor.fromOp(value, [], gradFn, 'cuda'),
    valueLinear: hostOnCuda(linear, []),
    f: raw.f,
    g: raw.g,
    status: raw.status,
    nIter: raw.nIter,
  };
}

export function lazySinkhorn(pb: LazySinkhornInput): LazySinkhornOutput {
  return output(pb, nativeCuda.lazySinkhorn(fields(pb)));
}

export async function lazySinkhornAsync(fn: string, pb: LazySinkhornInput, signal: AbortSignal | undefined): Promise<LazySinkhornOutput> {
  const o = fields(pb);
  const raw = await withCancelFlag(fn, signal, (cancel) => nativeCuda.lazySinkhornAsync({ ...o, cancel }));
  return output(pb, raw);
}
