// Lazy Sinkhorn on the CPU (native/cpu/lazy_sinkhorn.cc): the iterations, the value and, when a point
// cloud requires grad, the envelope gradients w.r.t. the points in one native call; the backward only
// scales them (and gives a, b POT's envelope gradient, reg·(f − mean f)). With linearGrad, the same call
// also gives valueLinear's implicit gradient (native/cpu/lazy_linear_grad.cc): the points' gradients and,
// for a and b, −(lamF − mean lamF), −(lamG − mean lamG) (centred, as the envelope's).
import { withCancelFlag } from '../../core/cancel.js';
import type { GradFn } from '../../tensor/autograd.js';
import { allocate, type DType, type FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { nativeLazy, type LazySinkhornOptions, type LazySinkhornRaw } from '../native-lazy.js';
import type { LazySinkhornInput, LazySinkhornOutput } from '../types.js';

// With linearGrad the caller reads valueLinear only (lazyTransportCost): value's envelope passes are skipped.
function fields(pb: LazySinkhornInput): LazySinkhornOptions {
  return {
    x: pb.x.data, y: pb.y.data, a: pb.a?.data ?? null, b: pb.b?.data ?? null, n: pb.n, m: pb.m, d: pb.d,
    reg: pb.reg, maxIter: pb.maxIter, tol: pb.tol, tile: pb.tile, grad: (pb.x.requiresGrad || pb.y.requiresGrad) && pb.linearGrad !== true,
    linearGrad: pb.linearGrad === true && [pb.x, pb.y, pb.a, pb.b].some((t) => t !== null && t.requiresGrad),
  };
}

function scaled(v: ArrayLike<number>, s: number, shift: number, dtype: DType): FloatArray {
  const out = allocate(dtype, v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i]! - shift) * s;
  return out;
}

function mean(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}

function output(pb: LazySinkhornInput, raw: LazySinkhornRaw): LazySinkhornOutput {
  const { x, y, a, b } = pb;
  const dtype = x.dtype;
  const value = allocate(dtype, 1);
  value[0] = raw.value;
  const linear = allocate(dtype, 1);
  linear[0] = raw.valueLinear;
  const linearFn: GradFn | null = raw.linGradX === null ? null : {
    name: 'lazySinkhornLinear',
    inputs: [x, y, a, b],
    backward: (g: Tensor) => {
      const s = g.data[0]!;
      const gx = new Tensor(scaled(raw.linGradX!, s, 0, dtype), x.shape);
      const gy = new Tensor(scaled(raw.linGradY!, s, 0, dtype), y.shape);
      const ga = a === null ? null : new Tensor(scaled(raw.lamF!, -s, mean(raw.lamF!), a.dtype), a.shape);
      const gb = b === null ? null : new Tensor(scaled(raw.lamG!, -s, mean(raw.lamG!), b.dtype), b.shape);
      return [gx, gy, ga, gb];
    },
  };
  const gradFn: GradFn = {
    name: 'lazySinkhorn',
    inputs: [x, y, a, b],
    backward: (g: Tensor) => {
      const s = g.data[0]!;
      const gx = raw.gradX && new Tensor(scaled(raw.gradX, s, 0, dtype), x.shape);
      const gy = raw.gradY && new Tensor(scaled(raw.gradY, s, 0, dtype), y.shape);
      const ga = a === null ? null : new Tensor(scaled(raw.f, s * pb.reg, mean(raw.f), a.dtype), a.shape);
      const gb = b === null ? null : new Tensor(scaled(raw.g, s * pb.reg, mean(raw.g), b.dtype), b.shape);
      return [gx, gy, ga, gb];
    },
  };
  return {
    value: Tensor.fromOp(value, [], gradFn),
    valueLinear: linearFn === null ? new Tensor(linear, []) : Tensor.fromOp(linear, [], linearFn),
    f: raw.f,
    g: raw.g,
    status: raw.status,
    nIter: raw.nIter,
    linearGradConverged: raw.linGradX === null || raw.linearGradConverged,
  };
}

export function lazySinkhorn(pb: LazySinkhornInput): LazySinkhornOutput {
  return output(pb, nativeLazy.lazySinkhorn(fields(pb)));
}

export async function lazySinkhornAsync(fn: string, pb: LazySinkhornInput, signal: AbortSignal | undefined, progress?: BigInt64Array): Promise<LazySinkhornOutput> {
  const raw = await withCancelFlag(fn, signal, (cancel) => nativeLazy.lazySinkhornAsync({ ...fields(pb), cancel, progress }));
  return output(pb, raw);
}
