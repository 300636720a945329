// Batched entropic OT on the GPU: the B problems run in one launch (native/cuda/batch_sinkhorn.cu) on
// M's device buffer; plans and potentials stay on the GPU. The GPU batch solver has no adjoint, so
// gradients are the envelope ones ('envelope') or none ('detach').
import { withCancelFlag } from '../../core/cancel.js';
import type { Status as BatchStatus } from '../../core/vocabulary.js';
import { nativeCuda, type CudaBatchOptions, type CudaBatchResult, type CudaBuffer, type CudaOperand } from '../../cuda/native-cuda.js';
import { asCuda, hostOnCuda, notOnCuda, operand } from '../../cuda/tensors.js';
import { allocate } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { envelopeGrads, refuseDivergedBatch, scaleRows } from '../batch-sinkhorn-grad.js';
import type { BatchSinkhornInput as ResolvedBatch, BatchSinkhornOutput } from '../types.js';

type Run = CudaBatchResult<CudaBuffer>;
type Args = [M: CudaBuffer, a: CudaOperand | null, b: CudaOperand | null, B: number, n: number, m: number, reg: number,
  maxIter: number, tol: number, solver: 'log_sinkhorn' | 'sinkhorn', options: CudaBatchOptions];

function args(fn: string, r: ResolvedBatch): Args {
  const needsGrad = r.M.requiresGrad || (r.a?.requiresGrad ?? false) || (r.b?.requiresGrad ?? false);
  if (needsGrad && (r.grad === 'autodiff' || r.grad === 'last_step')) {
    notOnCuda(fn, `grad '${r.grad}'`, "use grad 'envelope' or 'detach', or CPU tensors");
  }
  // a and b are already in M's dtype (resolve converts them); absent = uniform, the kernel's default.
  const stop = r.stopRule === 'problem' ? 'each' : 'batch';
  return [r.M.cudaBuffer(), r.a && operand(r.a), r.b && operand(r.b), r.B, r.n, r.m, r.reg, r.maxIter, r.tol, r.solver, { plan: true, stop }];
}

export function batchSinkhorn(fn: string, r: ResolvedBatch): BatchSinkhornOutput {
  return assemble(r, nativeCuda.cudaSolveBatchDevice(...args(fn, r)));
}

export async function batchSinkhornAsync(fn: string, r: ResolvedBatch, signal: AbortSignal | undefined): Promise<BatchSinkhornOutput> {
  const a = args(fn, r);
  const out = await withCancelFlag(fn, signal, (flag) => nativeCuda.cudaSolveBatchDeviceAsync(...a, flag));
  return assemble(r, out);
}

/** A problem that did not converge diverged when its error or value is not finite. */
function statusOf(out: Run, k: number): BatchStatus {
  if (out.converged[k]) return 'converged';
  return Number.isFinite(out.err[k]!) && Number.isFinite(out.valueLinear[k]!) ? 'max_iter' : 'diverged';
}

function assemble(r: ResolvedBatch, out: Run): BatchSinkhornOutput {
  const { B, n, m } = r;
  const statusPerProblem = Array.from({ length: B }, (_, k) => statusOf(out, k));
  // POT's n_iter is the index of the last iteration; the kernel counts iterations.
  const nIterPerProblem = Int32Array.from(out.nIter, (c) => c - 1);
  const valueData = allocate(r.dtype, B);
  for (let k = 0; k < B; k++) valueData[k] = out.valueLinear[k]! + r.reg * (r.regType === 'kl' ? out.kl[k]! : out.entropy[k]!);
  const linData = allocate(r.dtype, B);
  linData.set(out.valueLinear);
  const plan = new Tensor(out.plan!, [B, n, m]);
  const pot0 = new Tensor(out.u, [B, n]);
  const pot1 = new Tensor(out.v, [B, m]);
  const needsGrad = [r.M, r.a, r.b].some((t) => t?.requiresGrad);
  let value: Tensor;
  let valueLinear: Tensor;
  if (r.grad === 'detach' || !needsGrad) {
    value = hostOnCuda(valueData, [B]);
    valueLinear = hostOnCuda(linData, [B]);
  } else {
    // 'envelope' (args() turned the adjoint modes away): the CPU path's gradients, from the plan and
    // potentials copied back once when the backward runs.
    value = Tensor.fromOp(valueData, [B], {
      name: 'solveBatch.value',
      inputs: [r.M, r.a, r.b],
      backward: (g) => {
        refuseDivergedBatch(statusPerProblem.map((s) => s === 'diverged'));
        return envelopeGrads(r, g, plan.data, pot0.data, pot1.data).map(asCuda);
      },
    }, 'cuda');
    valueLinear = Tensor.fromOp(linData, [B], {
      name: 'solveBatch.valueLinear',
      inputs: [r.M],
      backward: (g) => {
        refuseDivergedBatch(statusPerProblem.map((s) => s === 'diverged'));
        return [asCuda(scaleRows(g, plan.data, [B, n, m]))];
      },
    }, 'cuda');
  }
  return {
    value, valueLinear, plan, potentials: [pot0, pot1], statusPerProblem,
    nIter: nIterPerProblem.reduce((x, y) => Math.max(x, y), 0), nIterPerProblem,
  };
}
