// NumPy/torch broadcasting for elementwise ops, and its adjoint (summing a gradient back to a shape).
import { fail } from '../core/validate.js';
import { allocate, numel, sameShape, type DType, type FloatArray } from './dtype.js';

export function broadcastShapes(fn: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail('ERR_OT_SHAPE', `${fn}: shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` viewed inside `outShape` (0 where broadcast). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const k = outShape.length - shape.length + i;
    strides[k] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

/** out[i] = f(a[ia], b[ib]) over the broadcast shape. */
export function binaryMap(
  a: FloatArray, aShape: readonly number[], b: FloatArray, bShape: readonly number[],
  outShape: readonly number[], dtype: DType, f: (x: number, y: number) => number,
): FloatArray {
  const n = numel(outShape);
  const out = allocate(dtype, n);
  if (sameShape(aShape, outShape) && sameShape(bShape, outShape)) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
    return out;
  }
  if (b.length === 1 && sameShape(aShape, outShape)) {
    const y = b[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, y);
    return out;
  }
  if (a.length === 1 && sameShape(bShape, outShape)) {
    const x = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(x, b[i]!);
    return out;
  }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const nd = outShape.length;
  const idx = new Array<number>(nd).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i++) {
    out[i] = f(a[ia]!, b[ib]!);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Sums `grad` (of shape outShape) over the broadcast axes so it has `shape` again. */
export function reduceToShape(grad: FloatArray, outShape: readonly number[], shape: readonly number[], dtype: DType): FloatArray {
  if (sameShape(outShape, shape)) return grad;
  const out = allocate(dtype, numel(shape));
  const s = broadcastStrides(shape, outShape);
  const nd = outShape.length;
  const idx = new Array<number>(nd).fill(0);
  let j = 0;
  for (let i = 0; i < grad.length; i++) {
    out[j] += grad[i]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      j += s[d]!;
      if (idx[d]! < outShape[d]!) break;
      j -= s[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
