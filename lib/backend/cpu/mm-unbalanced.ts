// Unbalanced majorization-minimization on the CPU (native/cpu/mm_unbalanced.cc through native/napi/mm.cc).
import { withCancelFlag } from '../../core/cancel.js';
import { nativeMm, type MmUnbalancedOptions } from '../native-mm.js';
import type { MmUnbalancedInput, MmUnbalancedOutput } from '../types.js';

function options(p: MmUnbalancedInput): MmUnbalancedOptions {
  return { M: p.M.data, a: p.aData, b: p.bData, n: p.n, m: p.m, reg: p.reg, ua: p.ua, ub: p.ub, div: p.div, maxIter: p.maxIter, tol: p.tol };
}

export function mmUnbalanced(p: MmUnbalancedInput): MmUnbalancedOutput {
  return nativeMm.mmUnbalanced(options(p));
}

export function mmUnbalancedAsync(fn: string, p: MmUnbalancedInput, signal: AbortSignal | undefined): Promise<MmUnbalancedOutput> {
  return withCancelFlag(fn, signal, (cancel) => nativeMm.mmUnbalancedAsync({ ...options(p), cancel }));
}
