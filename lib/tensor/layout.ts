// Layout ops behind Tensor's methods and ot.stack / ot.cat, differentiable as torch's: transpose t(),
// narrow-style slicing along one dim, index_select of rows or columns, and joining tensors along a dim.
// Every result owns its values (no views): the autograd tape stays simple and storage checks keep working.
import { fail } from '../core/validate.js';
import { allocate, numel } from './dtype.js';
import { normDim } from './reduce.js';
import { Tensor } from './tensor.js';

/** The [outer, len, inner] split of `shape` around `d`. */
function around(shape: readonly number[], d: number): [number, number, number] {
  return [numel(shape.slice(0, d)), shape[d]!, numel(shape.slice(d + 1))];
}

/** Transpose of a 1-d or 2-d tensor (torch's .t(): a 1-d tensor is returned as it is). */
export function transpose2d(x: Tensor): Tensor {
  if (x.ndim > 2) fail('ERR_OT_SHAPE', `t: expects a tensor of at most 2 dims, got shape [${x.shape.join(', ')}]`);
  if (x.ndim < 2) return x;
  const [r, c] = x.shape as [number, number];
  const src = x.data;
  const out = allocate(x.dtype, r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j]!;
  return Tensor.fromOp(out, [c, r], { name: 't', inputs: [x], backward: (g) => [transpose2d(g)] }, x.device);
}

/** Entries `indices` along `dim` (torch's index_select); repeated indices accumulate in the gradient. */
export function indexSelect(x: Tensor, dim: number, indices: readonly number[] | Int32Array): Tensor {
  const fn = 'index';
  const d = normDim(fn, dim, x.ndim);
  const [outer, len, inner] = around(x.shape, d);
  const idx = Int32Array.from(indices as ArrayLike<number>, (v, k) => {
    const i = v < 0 ? v + len : v;
    if (!Number.isInteger(v) || i < 0 || i >= len) fail('ERR_OT_ARG', `${fn}: index ${v} (entry ${k}) is out of range for dim ${d} of size ${len}`);
    return i;
  });
  const m = idx.length;
  const src = x.data;
  const out = allocate(x.dtype, outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < m; k++) out.set(src.subarray((o * len + idx[k]!) * inner, (o * len + idx[k]! + 1) * inner), (o * m + k) * inner);
  }
  const shape = x.shape.map((s, i) => (i === d ? m : s));
  return Tensor.fromOp(out, shape, {
    name: fn, inputs: [x],
    backward: (g) => {
      const gd = g.data;
      const gx = allocate(x.dtype, x.numel);
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < m; k++) {
          const to = (o * len + idx[k]!) * inner;
          const from = (o * m + k) * inner;
          for (let i = 0; i < inner; i++) gx[to + i] += gd[from + i]!;
        }
      }
      return [new Tensor(gx, x.shape, { device: x.device })];
    },
  }, x.device);
}

/** Entries start, start + step, … below end along `dim` (Python's x[start:end:step]; negatives count from the end). */
export function sliceDim(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const fn = 'slice';
  const d = normDim(fn, dim, x.ndim);
  const len = x.shape[d]!;
  if (!Number.isInteger(step) || step < 1) fail('ERR_OT_ARG', `${fn}: step must be an integer >= 1, got ${step}`);
  const clamp = (v: number, name: string): number => {
    if (!Number.isInteger(v)) fail('ERR_OT_ARG', `${fn}: ${name} must be an integer, got ${v}`);
    return Math.min(len, Math.max(0, v < 0 ? v + len : v));
  };
  const s = clamp(start, 'start');
  const e = end === undefined ? len : clamp(end, 'end');
  const picked: number[] = [];
  for (let i = s; i < e; i += step) picked.push(i);
  return indexSelect(x, d, picked);
}

/** Joins tensors of one shape except along `dim` (torch.cat); stack() adds the dim first. */
export function concat(fn: string, tensors: readonly Tensor[], dim: number): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) fail('ERR_OT_ARG', `${fn}: expects a non-empty array of tensors`);
  tensors.forEach((t, k) => {
    if (!(t instanceof Tensor)) fail('ERR_OT_ARG', `${fn}: entry ${k} is not a Tensor`);
  });
  const first = tensors[0]!;
  const d = normDim(fn, dim, first.ndim);
  for (const [k, t] of tensors.entries()) {
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => i !== d && s !== first.shape[i])) {
      fail('ERR_OT_SHAPE', `${fn}: entry ${k} has shape [${t.shape.join(', ')}], which does not match [${first.shape.join(', ')}] outside dim ${d}`);
    }
    if (t.dtype !== first.dtype) fail('ERR_OT_DTYPE', `${fn}: entry ${k} is ${t.dtype} but entry 0 is ${first.dtype}`);
    if (t.device !== first.device) fail('ERR_OT_DEVICE', `${fn}: entry ${k} is on ${t.device} but entry 0 is on ${first.device}`);
  }
  const [outer, , inner] = around(first.shape, d);
  const lens = tensors.map((t) => t.shape[d]!);
  const total = lens.reduce((a, b) => a + b, 0);
  const out = allocate(first.dtype, outer * total * inner);
  let offset = 0;
  tensors.forEach((t, k) => {
    const src = t.data;
    const block = lens[k]! * inner;
    for (let o = 0; o < outer; o++) out.set(src.subarray(o * block, (o + 1) * block), o * total * inner + offset);
    offset += block;
  });
  const shape = first.shape.map((s: number, i: number) => (i === d ? total : s));
  return Tensor.fromOp(out, shape, {
    name: fn, inputs: [...tensors],
    backward: (g) => {
      let from = 0;
      return lens.map((l) => {
        const part = sliceDim(g, d, from, from + l);
        from += l;
        return part;
      });
    },
  }, first.device);
}

/** ot.stack: tensors of one shape joined along a new dim (torch.stack). */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) fail('ERR_OT_ARG', 'stack: expects a non-empty array of tensors');
  const first = tensors[0];
  if (!(first instanceof Tensor)) fail('ERR_OT_ARG', 'stack: entry 0 is not a Tensor');
  const d = normDim('stack', dim, first.ndim + 1);
  const expanded = tensors.map((t, k) => {
    if (!(t instanceof Tensor)) fail('ERR_OT_ARG', `stack: entry ${k} is not a Tensor`);
    if (t.ndim !== first.ndim || t.shape.some((s: number, i: number) => s !== first.shape[i])) {
      fail('ERR_OT_SHAPE', `stack: entry ${k} has shape [${t.shape.join(', ')}] but entry 0 has [${first.shape.join(', ')}]`);
    }
    return t.reshape([...t.shape.slice(0, d), 1, ...t.shape.slice(d)]);
  });
  return concat('stack', expanded, d);
}
