// Lazy Sinkhorn on the CPU (native/cpu/lazy_sinkhorn.cc): the iterations, the value and, when a point
// cloud requires grad, the envelope gradients w.r.t. the points in one native call; the backward only
// scales them (and gives a, b POT's envelope gradient, reg·(f − mean f)). With linearGrad, the same call
// also gives valueLinear's implicit gradient (native/cpu/lazy_linear_grad.cc): the points' gradients and,
// for a and b, −(lamF − mean lamF), −(lamG − mean lamG) (centred, as the envelope's).
import { withCancelFlag } from '../../core/cancel.js';
import type { GradFn } from '../../tensor/autograd.js';
import { allocate, type Device, type DType, type FloatArray } from '../../tensor/dtype.js';
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

export function scaled(v: ArrayLike<number>, s: number, shift: number, dtype: DType): FloatArray {
  const out = allocate(dtype, v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i]! - shift) * s;
  return out;
}

export function mean(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}

/**
 * The native fields as the backend's output; `grads(s)` gives [d x, d y, d a, d b] for an upstream s, and
 * `linear`, when the backend computed it, the same for valueLinear (else valueLinear is detached).
 */
export function lazyOutput(
  pb: LazySinkhornInput, raw: Pick<LazySinkhornRaw, 'value' | 'valueLinear' | 'f' | 'g' | 'status' | 'nIter'>,
  grads: (s: number) => (Tensor | null)[], device: Device,
  linear: { grads: (s: number) => (Tensor | null)[]; converged: boolean } | null = null,
): LazySinkhornOutput {
  const { x, y, a, b } = pb;
  const value = allocate(x.dtype, 1);
  value[0] = raw.value;
  const cost = allocate(x.dtype, 1);
  cost[0] = raw.valueLinear;
  const gradFn: GradFn = { name: 'lazySinkhorn', inputs: [x, y, a, b], backward: (g: Tensor) => grads(g.item()) };
  const linearFn: GradFn | null = linear && { name: 'lazySinkhornLinear', inputs: [x, y, a, b], backward: (g: Tensor) => linear.grads(g.item()) };
  return {
    value: Tensor.fromOp(value, [], gradFn, device),
    valueLinear: linearFn === null ? new Tensor(cost, [], { device }) : Tensor.fromOp(cost, [], linearFn, device),
    f: raw.f,
    g: raw.g,
    status: raw.status,
    nIter: raw.nIter,
    linearGradConverged: linear === null || linear.converged,
  };
}

function output(pb: LazySinkhornInput, raw: LazySinkhornRaw): LazySinkhornOutput {
  const { x, y, a, b } = pb;
  const dtype = x.dtype;
  return lazyOutput(pb, raw, (s) => [
    raw.gradX && new Tensor(scaled(raw.gradX, s, 0, dtype), x.shape),
    raw.gradY && new Tensor(scaled(raw.gradY, s, 0, dtype), y.shape),
    a && new Tensor(scaled(raw.f, s * pb.reg, mean(raw.f), a.dtype), a.shape),
    b && new Tensor(scaled(raw.g, s * pb.reg, mean(raw.g), b.dtype), b.shape),
  ], 'cpu', raw.linGradX === null ? null : {
    grads: (s) => [
      new Tensor(scaled(raw.linGradX!, s, 0, dtype), x.shape),
      new Tensor(scaled(raw.linGradY!, s, 0, dtype), y.shape),
      a && new Tensor(scaled(raw.lamF!, -s, mean(raw.lamF!), a.dtype), a.shape),
      b && new Tensor(scaled(raw.lamG!, -s, mean(raw.lamG!), b.dtype), b.shape),
    ],
    converged: raw.linearGradConverged,
  });
}

export function lazySinkhorn(pb: LazySinkhornInput): LazySinkhornOutput {
  return output(pb, nativeLazy.lazySinkhorn(fields(pb)));
}

export async function lazySinkhornAsync(fn: string, pb: LazySinkhornInput, signal: AbortSignal | undefined, progress?: BigInt64Array): Promise<LazySinkhornOutput> {
  const raw = await withCancelFlag(fn, signal, (cancel) => nativeLazy.lazySinkhornAsync({ ...fields(pb), cancel, progress }));
  return output(pb, raw);
}
