// Exact OT on the CPU: the network simplex of native/cpu/emd.cc (through native/napi/emd.cc), one
// problem or a batch on a team of threads. Duals come back in float64 and leave in M's dtype.
import { withCancelFlag } from '../../core/cancel.js';
import { STATUSES } from '../../core/vocabulary.js';
import type { DType, FloatArray } from '../../tensor/dtype.js';
import { nativeEmd, type EmdSolveOptions, type NativeEmdBatchOut, type NativeEmdOut } from '../native-emd.js';
import type { EmdBatchInput, EmdBatchOutput, EmdInput, EmdOutput } from '../types.js';

function inDtype(x: Float64Array, dtype: DType): FloatArray {
  return dtype === 'float64' ? x : Float32Array.from(x);
}

// M.data: a cuda tensor's values are copied to the host here (the network simplex has no GPU kernel).
function options(p: EmdInput): EmdSolveOptions {
  return { M: p.M.data, a: p.aData, b: p.bData, n: p.n, m: p.m, maxIter: p.maxIter, valueOnly: p.valueOnly };
}

function output(p: EmdInput, out: NativeEmdOut): EmdOutput {
  const dtype = p.M.dtype;
  return { value: out.value, plan: out.plan, u: inDtype(out.u, dtype), v: inDtype(out.v, dtype), status: out.status, nIter: out.nIter };
}

export function emd(_fn: string, p: EmdInput): EmdOutput {
  return output(p, nativeEmd.emdSolve(options(p)));
}

export async function emdAsync(fn: string, p: EmdInput, signal: AbortSignal | undefined): Promise<EmdOutput> {
  return output(p, await withCancelFlag(fn, signal, (cancel) => nativeEmd.emdSolveAsync({ ...options(p), cancel })));
}

function batchOutput(p: EmdBatchInput, out: NativeEmdBatchOut): EmdBatchOutput {
  const dtype = p.M.dtype;
  return {
    value: out.value, supports: { index: out.supportIndex, mass: out.supportMass, width: p.n + p.m - 1 },
    u: inDtype(out.u, dtype), v: inDtype(out.v, dtype),
    statusPerProblem: Array.from(out.status, (s) => STATUSES[s]!), nIterPerProblem: Int32Array.from(out.nIter),
  };
}

function batchOptions(p: EmdBatchInput): EmdSolveOptions & { B: number } {
  return { M: p.M.data, a: p.aData, b: p.bData, B: p.B, n: p.n, m: p.m, maxIter: p.maxIter };
}

export function emdBatch(_fn: string, p: EmdBatchInput): EmdBatchOutput {
  return batchOutput(p, nativeEmd.emdBatch(batchOptions(p)));
}

export async function emdBatchAsync(fn: string, p: EmdBatchInput, signal: AbortSignal | undefined): Promise<EmdBatchOutput> {
  return batchOutput(p, await withCancelFlag(fn, signal, (cancel) => nativeEmd.emdBatchAsync({ ...batchOptions(p), cancel })));
}
