// What every method of ot.solve shares: the cost matrix and weights of one call, validated once
// (shapes, device, finiteness, weights >= 0), before the dispatcher picks a method.
import { callDevice } from '../backend/index.js';
import { checkFinite, checkNonNegative, fail, show } from '../core/validate.js';
import type { Device } from '../core/vocabulary.js';
import { asTensor } from '../tensor/input.js';
import { Tensor } from '../tensor/tensor.js';
import type { OTResult } from './result.js';
import type { SolveAsyncOptions } from './solve.js';

/** One call's cost matrix, on `device`; the weights are read by the method (defaults differ per method). */
export interface CostProblem {
  fn: string;
  device: Device;
  M: Tensor;
  n: number;
  m: number;
  aIn: unknown;
  bIn: unknown;
}

/** One method of ot.solve (a module of lib/solvers/methods/): the dispatcher has checked reg and the options' names. */
export interface SolveMethod {
  solve(c: CostProblem, opts: SolveAsyncOptions | undefined): OTResult;
  solveAsync(c: CostProblem, opts: SolveAsyncOptions | undefined): Promise<OTResult>;
}

/** A weight vector as a tensor and as the float64 values the kernels read. */
export interface Weights {
  t: Tensor;
  data: Float64Array;
}

export function costProblem(fn: string, Min: unknown, aIn: unknown, bIn: unknown): CostProblem {
  const M = asTensor(fn, 'M', Min);
  const device = callDevice(fn, [['M', M], ['a', aIn], ['b', bIn]]);
  if (M.ndim !== 2) fail('ERR_OT_SHAPE', `${fn}: M must be 2-d [n, m], got shape [${M.shape.join(', ')}]`);
  const [n, m] = M.shape as [number, number];
  if (n === 0 || m === 0) fail('ERR_OT_SHAPE', `${fn}: M must be non-empty, got shape [${n}, ${m}]`);
  return { fn, device, M, n, m, aIn, bIn };
}

/** POT's a or b: the given 1-d tensor (finite, >= 0) or, when omitted, uniform weights. */
export function weights(fn: string, name: 'a' | 'b', v: unknown, len: number, side: string): Weights {
  // POT: None or an empty list means uniform weights.
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
    const data = new Float64Array(len).fill(1 / len);
    return { t: new Tensor(data, [len]), data };
  }
  // Plain numbers (an array or a typed array) are weights too, as dist accepts arrays of points.
  if (Array.isArray(v) || v instanceof Float64Array || v instanceof Float32Array) {
    if (!v.every((x: unknown) => typeof x === 'number')) {
      fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or an array of numbers (or undefined for uniform weights), got ${show(v)}`);
    }
    return weights(fn, name, new Tensor(Float64Array.from(v as ArrayLike<number>), [v.length]), len, side);
  }
  if (!(v instanceof Tensor)) return fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor or an array of numbers (or undefined for uniform weights), got ${typeof v}`);
  if (v.ndim !== 1) fail('ERR_OT_SHAPE', `${fn}: ${name} must be 1-d, got shape [${v.shape.join(', ')}]`);
  if (v.shape[0] !== len) fail('ERR_OT_SHAPE', `${fn}: ${name} has ${v.shape[0]} entries but M has ${len} ${side}`);
  checkFinite(fn, name, v.data);
  checkNonNegative(fn, name, v.data);
  const data = v.data instanceof Float64Array ? v.data : Float64Array.from(v.data);
  return { t: v, data };
}

export function total(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}
