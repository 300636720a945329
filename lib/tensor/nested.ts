// Shapes in and out of JS: nested arrays to and from tensors (checked rectangular and numeric), and
// reshape's resolution of a target shape with one -1 dimension.
import { fail } from '../core/validate.js';
import { allocate, checkDType, numel, type DType, type FloatArray } from './dtype.js';
import { Tensor } from './tensor.js';

export type NestedArray = number | NestedArray[];

/** `shape` with its -1 (if any) filled in so that it holds `total` values. */
export function resolveShape(shape: readonly number[], total: number): number[] {
  if (!Array.isArray(shape)) fail('ERR_OT_SHAPE', `reshape: shape must be an array of integers, got ${typeof shape}`);
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.some((s, i) => !Number.isInteger(s) || (s < 0 && i !== free))) fail('ERR_OT_SHAPE', `reshape: invalid shape [${shape.join(', ')}]`);
  if (free >= 0) {
    const rest = numel(out.filter((_, i) => i !== free));
    out[free] = rest === 0 ? 0 : total / rest;
  }
  if (numel(out) !== total || !out.every(Number.isInteger)) fail('ERR_OT_SHAPE', `reshape: cannot view ${total} values as [${shape.join(', ')}]`);
  return out;
}

/** Row-major values as nested arrays (a number for a scalar shape). */
export function toNested(data: FloatArray, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return data[0]!;
  const rec = (offset: number, d: number): NestedArray[] | number[] => {
    const len = shape[d]!;
    const stride = numel(shape.slice(d + 1));
    if (d === shape.length - 1) return Array.from(data.subarray(offset, offset + len));
    const out: NestedArray[] = [];
    for (let i = 0; i < len; i++) out.push(rec(offset + i * stride, d + 1));
    return out;
  };
  return rec(0, 0);
}

/** Builds a tensor from nested arrays (checked rectangular and numeric). */
export function fromNested(data: NestedArray, dtype: DType = 'float64'): Tensor {
  checkDType('tensor', dtype);
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0]!;
  }
  const out = allocate(dtype, numel(shape));
  let k = 0;
  const walk = (v: NestedArray, d: number): void => {
    if (d === shape.length) {
      if (typeof v !== 'number') fail('ERR_OT_ARG', `tensor: expected a number at depth ${d}, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) fail('ERR_OT_SHAPE', `tensor: ragged nested array (dimension ${d} should have ${shape[d]} entries)`);
    for (const e of v) walk(e, d + 1);
  };
  walk(data, 0);
  return new Tensor(out, shape);
}
