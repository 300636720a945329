// 1-D exact OT on the CPU (native/cpu/wasserstein1d.cc): W_p^p of the columns of [n, k] samples, whose
// position gradients the same native pass computes (so the backward is one scaling), and emd1d's plan.
import { throwIfAborted, withCancelFlag } from '../../core/cancel.js';
import type { GradFn } from '../../tensor/autograd.js';
import { allocate, type Device, type DType, type FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { nativeOned, type Emd1dOptions, type Emd1dRaw, type Wasserstein1dOptions, type Wasserstein1dRaw } from '../native-oned.js';
import type { Emd1dInput, Emd1dOutput, Wasserstein1dInput } from '../types.js';

function fields(pb: Wasserstein1dInput): Wasserstein1dOptions {
  return {
    u: pb.u.data, v: pb.v.data, uWeights: pb.uWeights?.data ?? null, vWeights: pb.vWeights?.data ?? null,
    n: pb.n, m: pb.m, k: pb.k, p: pb.p, needU: pb.u.requiresGrad, needV: pb.v.requiresGrad,
  };
}

/** out[i, c] = grad[i, c] * g[c] over `rows` rows of k columns, in `dtype`. */
function scaleColumns(grad: FloatArray, rows: number, k: number, g: FloatArray, dtype: DType): FloatArray {
  const out = allocate(dtype, rows * k);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < k; c++) out[i * k + c] = grad[i * k + c]! * g[c]!;
  }
  return out;
}

/**
 * The value tensor [k] in u's dtype on `device`, recording the backward when u or v requires grad;
 * `grads(g)` turns the upstream gradient into the samples' gradients (both devices share this).
 */
export function w1dOutput(pb: Wasserstein1dInput, values: ArrayLike<number>, grads: (g: Tensor) => (Tensor | null)[], device: Device): Tensor {
  const { u, v } = pb;
  const value = allocate(u.dtype, pb.k);
  value.set(values);
  const gradFn: GradFn = { name: 'wasserstein1d', inputs: [u, v], backward: grads };
  return Tensor.fromOp(value, pb.shape, u.requiresGrad || v.requiresGrad ? gradFn : null, device);
}

function output(pb: Wasserstein1dInput, raw: Wasserstein1dRaw): Tensor {
  const { u, v } = pb;
  return w1dOutput(pb, raw.value, (g) => [
    raw.gradU && new Tensor(scaleColumns(raw.gradU, pb.n, pb.k, g.data, u.dtype), u.shape),
    raw.gradV && new Tensor(scaleColumns(raw.gradV, pb.m, pb.k, g.data, v.dtype), v.shape),
  ], 'cpu');
}

export function wasserstein1d(pb: Wasserstein1dInput): Tensor {
  return output(pb, nativeOned.wasserstein1d(fields(pb)));
}

export async function wasserstein1dAsync(fn: string, pb: Wasserstein1dInput, signal: AbortSignal | undefined): Promise<Tensor> {
  const raw = await withCancelFlag(fn, signal, (cancel) => nativeOned.wasserstein1dAsync({ ...fields(pb), cancel }));
  return output(pb, raw);
}

function emdFields(pb: Emd1dInput): Emd1dOptions {
  return { xA: pb.xA.data, xB: pb.xB.data, a: pb.a?.data ?? null, b: pb.b?.data ?? null, n: pb.n, m: pb.m, p: pb.p, dense: pb.dense };
}

function emdOutput(pb: Emd1dInput, raw: Emd1dRaw): Emd1dOutput {
  return {
    value: raw.value,
    plan: raw.plan && new Tensor(raw.plan, [pb.n, pb.m]),
    pieces: raw.rows && raw.cols && raw.mass ? { rows: raw.rows, cols: raw.cols, mass: raw.mass } : null,
  };
}

export function emd1d(pb: Emd1dInput): Emd1dOutput {
  return emdOutput(pb, nativeOned.emd1d(emdFields(pb)));
}

export async function emd1dAsync(fn: string, pb: Emd1dInput, signal: AbortSignal | undefined): Promise<Emd1dOutput> {
  // One sort and walk: the kernel does not poll, so an abort is honoured before it starts and after it ends.
  const raw = await withCancelFlag(fn, signal, () => nativeOned.emd1dAsync(emdFields(pb)));
  throwIfAborted(fn, signal);
  return emdOutput(pb, raw);
}
