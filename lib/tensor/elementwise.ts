// Elementwise ops behind Tensor's methods: unary maps and broadcasting binary ops, each recording
// the vector-Jacobian product that sends its output gradient back to its inputs.
import { fail } from '../core/validate.js';
import { binaryMap, broadcastShapes, reduceToShape } from './broadcast.js';
import { allocate, promote } from './dtype.js';
import { Tensor } from './tensor.js';

/** f applied to each value, as a new CPU tensor outside the graph. */
export function mapT(t: Tensor, f: (x: number) => number): Tensor {
  const out = allocate(t.dtype, t.numel);
  for (let i = 0; i < out.length; i++) out[i] = f(t.data[i]!);
  return new Tensor(out, t.shape);
}

function asTensor(fn: string, v: Tensor | number, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number') fail('ERR_OT_ARG', `${fn}: the other operand must be a Tensor or a number, got ${v === null ? 'null' : typeof v}`);
  const d = allocate(like.dtype, 1);
  d[0] = v;
  return new Tensor(d, []);
}

/** y = f(x) elementwise; `df(g, x, y)` gives d(x) from d(y). */
export function unary(name: string, x: Tensor, f: (v: number) => number, df: (g: Tensor, x: Tensor, y: Tensor) => Tensor): Tensor {
  const out = allocate(x.dtype, x.numel);
  const d = x.data;
  for (let i = 0; i < out.length; i++) out[i] = f(d[i]!);
  const shape = x.shape;
  const result: Tensor = Tensor.fromOp(out, shape, {
    name,
    inputs: [x],
    backward: (g) => [df(g, x.detach(), new Tensor(out, shape))],
  }, x.device);
  return result;
}

/** f(a, b) with broadcasting; each operand's gradient is summed back to its own shape. */
export function binary(
  name: string, a: Tensor, bv: Tensor | number, f: (x: number, y: number) => number,
  da: (g: Tensor, a: Tensor, b: Tensor) => Tensor, db: (g: Tensor, a: Tensor, b: Tensor) => Tensor,
): Tensor {
  const b = asTensor(name, bv, a);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const dtype = promote(a.dtype, b.dtype);
  const out = binaryMap(a.data, a.shape, b.data, b.shape, shape, dtype, f);
  // A cuda operand makes a cuda result (the tape mixes CPU seeds with cuda values).
  const device = a.device === 'cuda' || b.device === 'cuda' ? 'cuda' : 'cpu';
  return Tensor.fromOp(out, shape, {
    name,
    inputs: [a, b],
    backward: (g) => {
      const ad = a.detach();
      const bd = b.detach();
      const ga = a.requiresGrad ? da(g, ad, bd) : null;
      const gb = b.requiresGrad ? db(g, ad, bd) : null;
      return [
        ga && new Tensor(reduceToShape(ga.data, ga.shape, a.shape, a.dtype), a.shape),
        gb && new Tensor(reduceToShape(gb.data, gb.shape, b.shape, b.dtype), b.shape),
      ];
    },
  }, device);
}
