// Tensor arguments as users pass them: a Tensor, nested number arrays (read as float64, as ot.tensor
// does) or a Float32Array / Float64Array (1-d, in its own dtype). One conversion for the facades that
// take matrices and batches, so `ot.solve([[0, 1], [1, 0]])` works as `ot.dist` already did, and a
// malformed array is refused naming the call and the argument, not ot.tensor.
import { OTError } from '../core/errors.js';
import { fail, show } from '../core/validate.js';
import { fromNested, Tensor, type NestedArray } from './tensor.js';

/** What a tensor argument accepts. */
export type TensorInput = Tensor | NestedArray | Float32Array | Float64Array;

/** Weights as POT takes them: a Tensor, an array of numbers, or null/undefined/[] for uniform. */
export type WeightsInput = Tensor | readonly number[] | Float32Array | Float64Array | null | undefined;

/** `v` as a Tensor (the same object when it already is one); `what` describes the expected value in errors. */
export function asTensor(fn: string, name: string, v: unknown, what = 'a Tensor'): Tensor {
  if (v instanceof Tensor) return v;
  if (v instanceof Float64Array || v instanceof Float32Array) return new Tensor(v, [v.length]);
  if (Array.isArray(v)) {
    try {
      return fromNested(v as NestedArray, 'float64');
    } catch (e) {
      // fromNested words its errors for ot.tensor; say which argument of which call was malformed.
      if (e instanceof OTError) throw new OTError(`${fn}: ${name} ${e.message.replace(/^tensor: /, '')}`, e.code, { cause: e });
      throw e;
    }
  }
  return fail('ERR_OT_ARG', `${fn}: ${name} must be ${what}, nested number arrays or a Float32Array / Float64Array, got ${show(v)}`);
}
