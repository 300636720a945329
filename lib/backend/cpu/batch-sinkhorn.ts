// Batched entropic OT on the CPU: B problems threaded over the batch (native/cpu/batch_sinkhorn.cc),
// every grad mode through batch-sinkhorn-grad.ts (the adjoint: native/cpu/batch_sinkhorn_adjoint.cc).
import { withCancelFlag } from '../../core/cancel.js';
import { STATUSES, type Status } from '../../core/vocabulary.js';
import { batchOutputs } from '../batch-sinkhorn-grad.js';
import { nativeBatch, type NativeSolveBatchOut } from '../native-batch.js';
import type { BatchSinkhornInput, BatchSinkhornOutput } from '../types.js';

function nativeArgs(r: BatchSinkhornInput) {
  return [r.M.data, r.aData, r.bData, r.B, r.n, r.m, r.reg, r.maxIter, r.tol, r.solver, r.regType, r.stopRule, r.record] as const;
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
  return output(r, nativeBatch.solveBatch(...nativeArgs(r)));
}

export async function batchSinkhornAsync(fn: string, r: BatchSinkhornInput, signal: AbortSignal | undefined): Promise<BatchSinkhornOutput> {
  const out = await withCancelFlag(fn, signal, (flag) => nativeBatch.solveBatchAsync(...nativeArgs(r), flag));
  return output(r, out);
}
