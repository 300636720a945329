// Turns what users hand the plot functions (Tensors, nested arrays, typed arrays, anything with toArray())
// into plain float arrays, checking shapes and finiteness so a bad input fails before any rendering.
import { Tensor } from '../tensor/tensor.js';
import { checkFinite, fail } from '../utils/validate.js';

/** A matrix-like input: a Tensor, nested arrays, or anything with `toArray()` returning nested arrays. */
export type MatrixLike = Tensor | ArrayLike<ArrayLike<number>> | { toArray(): unknown };
/** A vector-like input: a 1-D Tensor, an array or typed array, or anything with `toArray()`. */
export type VectorLike = Tensor | ArrayLike<number> | { toArray(): unknown };

/** A dense row-major matrix of float64 values. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

function unwrap(v: unknown): unknown {
  if (v instanceof Tensor && v.device === 'cpu') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { toArray?: unknown }).toArray === 'function') {
    return (v as { toArray(): unknown }).toArray();
  }
  return v;
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

/** Reads a 2-D input; `cols` (when given) is the required number of columns, e.g. 2 for points. */
export function toMatrix(fn: string, name: string, input: unknown, cols?: number): Matrix {
  const v = unwrap(input);
  let m: Matrix;
  if (v instanceof Tensor) {
    if (v.ndim !== 2) fail('ERR_OT_SHAPE', `${fn}: ${name} must be 2-D, got shape [${v.shape.join(', ')}]`);
    m = { rows: v.shape[0]!, cols: v.shape[1]!, data: Float64Array.from(v.data) };
  } else if (isArrayLike(v)) {
    const rows = v.length;
    const first = rows > 0 ? v[0] : [];
    if (!isArrayLike(first)) fail('ERR_OT_SHAPE', `${fn}: ${name} must be 2-D (an array of rows), but row 0 is ${typeof first}`);
    const c = first.length;
    const data = new Float64Array(rows * c);
    for (let i = 0; i < rows; i++) {
      const row = v[i];
      if (!isArrayLike(row) || row.length !== c) {
        fail('ERR_OT_SHAPE', `${fn}: ${name} row ${i} has ${isArrayLike(row) ? row.length : 'no'} entries but row 0 has ${c}`);
      }
      for (let j = 0; j < c; j++) data[i * c + j] = Number(row[j]);
    }
    m = { rows, cols: c, data };
  } else {
    fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or an array of rows, got ${v === null ? 'null' : typeof v}`);
  }
  if (cols !== undefined && m.cols !== cols && m.rows > 0) {
    fail('ERR_OT_SHAPE', `${fn}: ${name} must have ${cols} columns, got shape [${m.rows}, ${m.cols}]`);
  }
  checkFinite(fn, name, m.data);
  return m;
}

/** Reads a 1-D input (a Tensor [n] or [n,1] / [1,n] is accepted as a vector). */
export function toVector(fn: string, name: string, input: unknown): Float64Array {
  const v = unwrap(input);
  let out: Float64Array;
  if (v instanceof Tensor) {
    if (v.shape.filter((d) => d !== 1).length > 1) fail('ERR_OT_SHAPE', `${fn}: ${name} must be 1-D, got shape [${v.shape.join(', ')}]`);
    out = Float64Array.from(v.data);
  } else if (isArrayLike(v)) {
    out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (typeof e !== 'number') fail('ERR_OT_SHAPE', `${fn}: ${name} must be a flat array of numbers, but entry ${i} is ${typeof e}`);
      out[i] = e;
    }
  } else {
    fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or an array of numbers, got ${v === null ? 'null' : typeof v}`);
  }
  checkFinite(fn, name, out);
  return out;
}
