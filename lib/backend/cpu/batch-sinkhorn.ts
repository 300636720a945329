// Batched entropic OT on the CPU: B problems threaded over the batch (native/cpu/batch_sinkhorn.cc),
// every grad mode through batch-sinkhorn-grad.ts (the adjoint: native/cpu/batch_sinkhorn_adjoint.cc).
import { withCancelFlag } from '../../core/cancel.js';
import { STATUSES, type Status } from '../../core/vocabulary.js';
import { batchOutputs } from '../batch-sinkhorn-grad.js';
import { nativeBatch, type NativeSolveBatchOut, type SolveBatchOptions } from '../native-batch.js';
import type { BatchSinkhornInput, BatchSinkhornOutput } from '../types.js';

function options(r: BatchSinkhornInput): SolveBatchOptions {
  const { B, n, m, reg, maxIter, tol, solver, regType, stopRule, record } = r;
  return { M: r.M.data, a: r.aData, b: r.bData, B, n, m, reg, maxIter, tol, solver, regType, stopRule, record };
}

function output(r: BatchSinkhornInput, out: NativeSolveBatchOut): BatchSinkhornOutput {
  const statusPerProblem: Status[] = Array.from(out.status, (s) => STATUSES[s] ?? 'diverged');
  const o = batchOutputs(r, out);
  return {
    value: o.value, valueLinear: o.valueLinear, plan: o.plan, potentials: [o.pot0, o.pot1],
    statusPerProblem, nIter: out.nIter, nIterPerProblem: out.iters,
  };
}

export function batchSinkhorn(_fn: string, r: BatchSinkhornInput): BatchSinkhornOutput {
  return output(r, nativeBatch.solveBatch(options(r)));
}

export async function batchSinkhornAsync(fn: string, r: BatchSinkhornInput, signal: AbortSignal | undefined): Promise<BatchSinkhornOutput> {
  const out = await withCancelFlag(fn, signal, (cancel) => nativeBatch.solveBatchAsync({ ...options(r), cancel }));
  return output(r, out);
}
