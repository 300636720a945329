// Batched entropic OT on the CPU: B problems threaded over the batch (native/cpu/batch_sinkhorn.cc),
// every grad mode through batch-sinkhorn-grad.ts (the adjoint: native/cpu/batch_sinkhorn_adjoint.cc).
import { withCancelFlag } from '../../core/cancel.js';
import { batchOutputs, type BatchSolved } from '../batch-sinkhorn-grad.js';
import { nativeBatch, type NativeSolveBatchOut, type SolveBatchOptions } from '../native-batch.js';
import type { BatchSinkhornInput, BatchSinkhornOutput } from '../types.js';

// Without a recorded trace the plan is built when first read (or when M's envelope gradient needs it):
// writing B·n·m entries nobody reads cost more than the iterations (fresh pages: 3× the whole solve at
// B = 512, 64×64).
function options(r: BatchSinkhornInput): SolveBatchOptions {
  const { B, n, m, reg, maxIter, tol, solver, regType, stopRule, record } = r;
  return { M: r.M.data, a: r.aData, b: r.bData, B, n, m, reg, maxIter, tol, solver, regType, stopRule, record, lazyPlan: record === 'none' };
}

/** The native result's packed arrays ([plan | pot0 | pot1] or [pot0 | pot1], [value | valueLinear]) as views. */
function solved(r: BatchSinkhornInput, out: NativeSolveBatchOut): BatchSolved {
  const { B, n, m, reg, solver } = r;
  const nm = r.record === 'none' ? 0 : B * n * m;
  const { sol, values } = out;
  const pot0 = sol.subarray(nm, nm + B * n);
  const pot1 = sol.subarray(nm + B * n);
  const plan = nm > 0 ? sol.subarray(0, nm) : () => nativeBatch.solveBatchPlan({ M: r.M.data, pot0, pot1, B, n, m, reg, solver });
  return {
    plan, pot0, pot1,
    value: values.subarray(0, B), valueLinear: values.subarray(B),
    status: out.status, iters: out.iters, nIter: out.nIter, trace: out.trace,
  };
}

export function batchSinkhorn(_fn: string, r: BatchSinkhornInput): BatchSinkhornOutput {
  return batchOutputs(r, solved(r, nativeBatch.solveBatch(options(r))), 'cpu');
}

export async function batchSinkhornAsync(fn: string, r: BatchSinkhornInput, signal: AbortSignal | undefined): Promise<BatchSinkhornOutput> {
  const out = await withCancelFlag(fn, signal, (cancel) => nativeBatch.solveBatchAsync({ ...options(r), cancel }));
  return batchOutputs(r, solved(r, out), 'cpu');
}
