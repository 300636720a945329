// The typed-array storage that backs tensors on the CPU (dtype and device names: lib/core/vocabulary.ts).
import { fail } from '../core/validate.js';
import type { DType } from '../core/vocabulary.js';

export { checkDevice, checkDType, type Device, type DType } from '../core/vocabulary.js';
export type FloatArray = Float32Array | Float64Array;

/** Longest typed array Node allocates. */
const MAX_LENGTH = 2 ** 32;

/** Zeroed storage of n values; ERR_OT_OOM (not a RangeError) when it cannot be allocated. */
export function allocate(dtype: DType, n: number): FloatArray {
  if (!(n <= MAX_LENGTH)) fail('ERR_OT_OOM', `tensor: cannot allocate ${n} values (at most ${MAX_LENGTH} fit in one array)`);
  try {
    return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  } catch (e) {
    return fail('ERR_OT_OOM', `tensor: cannot allocate ${n} ${dtype} values: ${(e as Error).message}`);
  }
}

export function dtypeOf(arr: FloatArray): DType {
  return arr instanceof Float32Array ? 'float32' : 'float64';
}

/** torch's promotion between floating types: float64 wins. */
export function promote(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
