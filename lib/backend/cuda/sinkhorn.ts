// Entropic Sinkhorn on the GPU: the forward and its adjoint run in native/cuda/sinkhorn_solve.cu (over
// sinkhorn.cu and sinkhorn_adjoint.cu, through native/napi/cuda_sinkhorn.cc), which take and return
// the CPU bindings' fields (cpu/sinkhorn.ts); plan and potentials stay on the GPU.
import { withCancelFlag } from '../../core/cancel.js';
import { fail } from '../../core/validate.js';
import { nativeCuda, type CudaBuffer, type CudaSolveOut } from '../../cuda/native-cuda.js';
import { operandAs } from '../../cuda/tensors.js';
import { Tensor } from '../../tensor/tensor.js';
import type { SinkhornCotangents, SinkhornGrads, SinkhornInput, SinkhornOutput } from '../types.js';

/** What the GPU adjoint replays: the iterates the forward packed into one buffer. */
interface Saved {
  history: CudaBuffer;
  iterations: number;
}

function output(out: CudaSolveOut): SinkhornOutput {
  const saved: Saved | null = out.history ? { history: out.history, iterations: out.iterations } : null;
  return {
    value: out.value, valueLinear: out.valueLinear, plan: out.plan, logU: out.logU, logV: out.logV,
    status: out.status, nIter: out.nIter, saved,
  };
}

// M's GPU buffer (uploaded on first use) and the settled weights, converted to M's dtype by the binding.
function problem(p: SinkhornInput) {
  return { M: p.M.cudaBuffer(), a: p.aData, b: p.bData, n: p.n, m: p.m, reg: p.reg, regType: p.regType };
}

export function sinkhorn(p: SinkhornInput): SinkhornOutput {
  return output(nativeCuda.sinkhornSolve({ ...problem(p), maxIter: p.maxIter, tol: p.tol, record: p.record }));
}

export async function sinkhornAsync(fn: string, p: SinkhornInput, signal: AbortSignal | undefined): Promise<SinkhornOutput> {
  // problem() runs after the abort check: an aborted call uploads nothing.
  const out = await withCancelFlag(fn, signal, (cancel) =>
    nativeCuda.sinkhornSolveAsync({ ...problem(p), maxIter: p.maxIter, tol: p.tol, record: p.record, cancel }),
  );
  return output(out);
}

export function sinkhornAdjoint(p: SinkhornInput, out: SinkhornOutput, cot: SinkhornCotangents): SinkhornGrads {
  const saved = out.saved as Saved | null;
  if (saved === null) return fail('ERR_OT_VALUE', 'solve: the forward kept no iterations to differentiate');
  const dtype = p.M.dtype;
  const seed = (g: Tensor | null) => (g === null ? null : operandAs(g, dtype));
  const lastStep = p.record === 'last_step';
  const [dM, da, db] = nativeCuda.sinkhornBackward({
    ...problem(p), history: saved.history, iterations: saved.iterations, directTerms: !lastStep,
    gValue: cot.value, gValueLinear: cot.valueLinear, gPlan: seed(cot.plan), gLogU: seed(cot.logU),
    gLogV: seed(cot.logV), needM: p.M.requiresGrad, lastStep,
  });
  return { dM: dM && new Tensor(dM, [p.n, p.m]), da: new Tensor(da, [p.n]), db: new Tensor(db, [p.m]) };
}
