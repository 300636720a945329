// Typed view of the addon's matrix product export (native/napi/matmul.cc): one options object per call.
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';

/** a [n, k] ([k, n] when transA) and b [k, m] ([m, k] when transB), row-major, one dtype. */
export interface MatmulOptions {
  a: FloatArray;
  b: FloatArray;
  n: number;
  k: number;
  m: number;
  transA: boolean;
  transB: boolean;
  cancel?: Int32Array;
}

interface NativeMatmul {
  /** The [n, m] product in a's dtype. */
  matmul(o: MatmulOptions): FloatArray;
  matmulAsync(o: MatmulOptions): Promise<FloatArray>;
}

export const nativeMatmul = addon as NativeMatmul;
