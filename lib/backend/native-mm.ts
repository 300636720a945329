// Typed view of the addon's unbalanced majorization-minimization export (native/napi/mm.cc).
import type { Status } from '../core/vocabulary.js';
import { addon } from '../native.js';
import type { FloatArray } from '../tensor/dtype.js';

export interface MmUnbalancedOptions {
  M: FloatArray;
  a: Float64Array;
  b: Float64Array;
  n: number;
  m: number;
  /** >= 0 (0: exact). */
  reg: number;
  /** Marginal strengths, > 0 and finite. */
  ua: number;
  ub: number;
  div: 'KL' | 'L2';
  maxIter: number;
  tol: number;
  cancel?: Int32Array;
}

export interface MmUnbalancedOut {
  /** n*m, M's dtype. */
  plan: FloatArray;
  /** Index of the last iteration run. */
  nIter: number;
  status: Status;
}

export interface NativeMm {
  mmUnbalanced(options: MmUnbalancedOptions): MmUnbalancedOut;
  mmUnbalancedAsync(options: MmUnbalancedOptions): Promise<MmUnbalancedOut>;
}

export const nativeMm = addon as unknown as NativeMm;
