// Arguments shared by the sample-based exact distances (1-D and sliced): samples and weights as
// Tensors (nested arrays and typed arrays accepted), their shape checks, one dtype for a call, and
// the value checks that word a native rejection the way the facades do.
import { checkFinite, checkNonNegative, fail, show } from '../core/validate.js';
import type { DType } from '../core/vocabulary.js';
import { checkableValues } from '../cuda/tensors.js';
import { fromNested, Tensor } from '../tensor/tensor.js';
import { OTError } from '../core/errors.js';

/** Samples or weights as users pass them: a Tensor, nested arrays or a Float32Array / Float64Array. */
export type SampleInput = Tensor | number[] | number[][] | Float32Array | Float64Array;

/** `v` as a Tensor of 1 or 2 dimensions (as `dims` allows); arrays are read as float64. */
export function sampleTensor(fn: string, name: string, v: unknown, dims: readonly number[]): Tensor {
  let t: Tensor;
  if (v instanceof Tensor) t = v;
  else if (v instanceof Float64Array || v instanceof Float32Array) t = new Tensor(v, [v.length]);
  else if (Array.isArray(v)) t = fromNested(v as number[], 'float64');
  else return fail('ERR_OT_ARG', `${fn}: ${name} must be a Tensor, a number array or a Float32Array / Float64Array, got ${show(v)}`);
  if (!dims.includes(t.ndim)) {
    fail('ERR_OT_SHAPE', `${fn}: ${name} must be ${dims.map((d) => `${d}-d`).join(' or ')}, got shape [${t.shape.join(', ')}]`);
  }
  if (t.numel === 0) fail('ERR_OT_SHAPE', `${fn}: ${name} must be non-empty, got shape [${t.shape.join(', ')}]`);
  return t;
}

/** Optional weights: null when absent (uniform), else a Tensor of one of the accepted shapes. */
export function weightTensor(fn: string, name: string, v: unknown, shapes: readonly (readonly number[])[], of: string): Tensor | null {
  if (v === undefined || v === null) return null;
  const t = sampleTensor(fn, name, v, [1, 2]);
  if (!shapes.some((s) => s.length === t.ndim && s.every((d, i) => d === t.shape[i]))) {
    const want = shapes.map((s) => `[${s.join(', ')}]`).join(' or ');
    fail('ERR_OT_SHAPE', `${fn}: ${name} must have shape ${want} to match ${of}, got [${t.shape.join(', ')}]`);
  }
  return t;
}

/** The dtype of a call: float64 when any sample is float64 (torch promotion), else float32. */
export function commonDType(...ts: readonly (Tensor | null)[]): DType {
  return ts.some((t) => t !== null && t.dtype === 'float64') ? 'float64' : 'float32';
}

/** t in `dtype` (a differentiable cast when it differs). */
export function inDType<T extends Tensor | null>(t: T, dtype: DType): T {
  return (t === null ? null : t.to(dtype)) as T;
}

/**
 * When the native entry point rejects a value (ERR_OT_VALUE), re-checks the arguments here so the
 * message names this function and the argument as the caller wrote it; otherwise rethrows `e`.
 */
export function wordValueError(fn: string, e: unknown, samples: readonly [string, Tensor][], weights: readonly [string, Tensor | null][]): never {
  if (e instanceof OTError && e.code === 'ERR_OT_VALUE') {
    for (const [name, t] of samples) {
      const v = checkableValues(t);
      if (v) checkFinite(fn, name, v);
    }
    for (const [name, t] of weights) {
      const v = t && checkableValues(t);
      if (v) {
        checkFinite(fn, name, v);
        checkNonNegative(fn, name, v);
      }
    }
  }
  // The native entry point names itself; the caller knows this function by its public name.
  if (e instanceof OTError && !e.message.startsWith(`${fn}:`)) throw new OTError(e.message.replace(/^[A-Za-z0-9 ()]+:/, `${fn}:`), e.code);
  throw e;
}
