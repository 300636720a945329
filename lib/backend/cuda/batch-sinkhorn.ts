// Batched entropic OT on the GPU: the B problems run in one launch (native/cuda/batch_sinkhorn.cu) on
// M's device buffer, with cpu/batch-sinkhorn.ts's fields; plans and potentials stay on the GPU. The GPU
// solver records no trace (no adjoint), so gradients are the envelope ones ('envelope') or none ('detach').
import { withCancelFlag } from '../../core/cancel.js';
import { nativeCuda, type CudaSolveBatchOut } from '../../cuda/native-cuda.js';
import { notOnCuda } from '../../cuda/tensors.js';
import { batchOutputs, type BatchSolved } from '../batch-sinkhorn-grad.js';
import type { BatchSinkhornInput, BatchSinkhornOutput } from '../types.js';

function options(fn: string, r: BatchSinkhornInput) {
  if (r.record !== 'none') notOnCuda(fn, `grad '${r.grad}'`, "use grad 'envelope' or 'detach', or CPU tensors");
  const { B, n, m, reg, maxIter, tol, solver, regType, stopRule, record } = r;
  return { M: r.M.cudaBuffer(), a: r.aData, b: r.bData, B, n, m, reg, maxIter, tol, solver, regType, stopRule, record };
}

/** The native result's host values [value | valueLinear] as views. */
function solved(r: BatchSinkhornInput, out: CudaSolveBatchOut): BatchSolved {
  const { values } = out;
  return { ...out, value: values.subarray(0, r.B), valueLinear: values.subarray(r.B) };
}

export function batchSinkhorn(fn: string, r: BatchSinkhornInput): BatchSinkhornOutput {
  return batchOutputs(r, solved(r, nativeCuda.solveBatch(options(fn, r))), 'cuda');
}

export async function batchSinkhornAsync(fn: string, r: BatchSinkhornInput, signal: AbortSignal | undefined): Promise<BatchSinkhornOutput> {
  const o = options(fn, r);
  const out = await withCancelFlag(fn, signal, (cancel) => nativeCuda.solveBatchAsync({ ...o, cancel }));
  return batchOutputs(r, solved(r, out), 'cuda');
}
