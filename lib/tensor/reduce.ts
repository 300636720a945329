// Reductions behind Tensor's methods: sum over everything or one dim (mean builds on it), and the
// scalar extremes max/min whose gradient flows to the first extremal entry.
import { fail } from '../core/validate.js';
import { allocate, numel } from './dtype.js';
import { Tensor } from './tensor.js';

/** `dim` (negative counts from the end) checked against `ndim`; errors name `fn`. */
export function normDim(fn: string, dim: number, ndim: number): number {
  const d = dim < 0 ? dim + ndim : dim;
  if (!Number.isInteger(d) || d < 0 || d >= ndim) fail('ERR_OT_ARG', `${fn}: dim ${dim} is out of range for a ${ndim}-d tensor`);
  return d;
}

/** Sum of all values (a scalar), or along `dim`. */
export function reduce(name: string, x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (typeof keepdim !== 'boolean') fail('ERR_OT_ARG', `${name}: keepdim must be a boolean, got ${typeof keepdim}`);
  if (dim === undefined) {
    let s = 0;
    const data = x.data;
    for (let i = 0; i < x.numel; i++) s += data[i]!;
    const out = allocate(x.dtype, 1);
    out[0] = s;
    return Tensor.fromOp(out, [], {
      name, inputs: [x],
      backward: (g) => [new Tensor(allocate(x.dtype, x.numel).fill(g.data[0]!), x.shape)],
    }, x.device);
  }
  const d = normDim(name, dim, x.ndim);
  const outer = numel(x.shape.slice(0, d));
  const len = x.shape[d]!;
  const inner = numel(x.shape.slice(d + 1));
  const out = allocate(x.dtype, outer * inner);
  // An empty input sums to zeros; its loops could still run 2^31 times for nothing ([2^31, 2^31, 0]).
  const data = x.numel > 0 ? x.data : null;
  for (let o = 0; data !== null && o < outer; o++) {
    for (let k = 0; k < len; k++) {
      const base = (o * len + k) * inner;
      for (let i = 0; i < inner; i++) out[o * inner + i] += data[base + i]!;
    }
  }
  const keptShape = x.shape.map((s, i) => (i === d ? 1 : s));
  const shape = keepdim ? keptShape : x.shape.filter((_, i) => i !== d);
  return Tensor.fromOp(out, shape, {
    name, inputs: [x],
    backward: (g) => [new Tensor(allocate(x.dtype, x.numel), x.shape).add(g.reshape(keptShape))],
  }, x.device);
}

/** The value that wins `better` against all others (NaN wins), as a scalar. */
export function extreme(name: string, x: Tensor, better: (a: number, b: number) => boolean): Tensor {
  if (x.numel === 0) fail('ERR_OT_SHAPE', `${name}: tensor is empty`);
  let best = 0;
  for (let i = 1; i < x.numel; i++) if (better(x.data[i]!, x.data[best]!) || Number.isNaN(x.data[i]!)) best = i;
  const out = allocate(x.dtype, 1);
  out[0] = x.data[best]!;
  return Tensor.fromOp(out, [], {
    name, inputs: [x],
    backward: (g) => {
      const gd = allocate(x.dtype, x.numel);
      gd[best] = g.data[0]!;
      return [new Tensor(gd, x.shape)];
    },
  }, x.device);
}
