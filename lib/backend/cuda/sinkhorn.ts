// Entropic Sinkhorn on the GPU: log-domain iterations (native/cuda/sinkhorn.cu) on M's device buffer
// and their adjoint (native/cuda/sinkhorn_adjoint.cu); plan and potentials stay on the GPU.
import { withCancelFlag } from '../../core/cancel.js';
import { fail } from '../../core/validate.js';
import {
  nativeCuda, type CudaBuffer, type CudaOperand, type CudaSinkhornCotangents, type CudaSinkhornOptions, type CudaSinkhornResult,
} from '../../cuda/native-cuda.js';
import { operandAs } from '../../cuda/tensors.js';
import { allocate, type DType, type FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import type { SinkhornCotangents, SinkhornGrads, SinkhornInput, SinkhornOutput } from '../types.js';

type Run = CudaSinkhornResult<CudaBuffer>;

/** The kernel's inputs: M's buffer and the weights in M's dtype (null = uniform, the kernel's default). */
interface Inputs {
  M: CudaBuffer;
  a: CudaOperand | null;
  b: CudaOperand | null;
}

/** What the GPU adjoint replays: the inputs, the iterate history and, for last_step, the detached v. */
interface Saved {
  k: Inputs;
  historyU: CudaBuffer;
  historyV: CudaBuffer;
  iterations: number;
  v0: CudaBuffer | null;
}

function sameValues(x: FloatArray, y: Float64Array): boolean {
  for (let i = 0; i < y.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The weights the kernel reads: the tensor's own GPU buffer when its values are those the facade
 * settled on (b may have been rescaled to a's mass) in M's dtype, else those values in M's dtype
 * (uploaded by the call); null for the uniform default (a CPU tensor made by the facade).
 */
function weightOperand(w: Tensor, values: Float64Array, dtype: DType): CudaOperand | null {
  if (w.device !== 'cuda') return null;
  if (w.dtype === dtype && sameValues(w.data, values)) return w.cudaBuffer();
  const out = allocate(dtype, values.length);
  out.set(values);
  return out;
}

function inputs(p: SinkhornInput): Inputs {
  const dtype = p.M.dtype;
  return { M: p.M.cudaBuffer(), a: weightOperand(p.a, p.aData, dtype), b: weightOperand(p.b, p.bData, dtype) };
}

/** The kernel calls of one solve: for last_step a detached run, then one step from its potentials. */
function schedule(p: SinkhornInput): { first: CudaSinkhornOptions | null; main: (first: Run | null) => [number, CudaSinkhornOptions] } {
  if (p.record === 'last_step') {
    // POT: maxIter − 1 detached iterations, then one update of v and u from the detached potentials.
    return { first: { plan: false }, main: (f) => [1, { plan: true, history: true, u0: f!.logU, v0: f!.logV }] };
  }
  return { first: null, main: () => [p.maxIter, { plan: true, history: p.record === 'history' }] };
}

/** The run(s) as the one result shape of every device. */
function output(p: SinkhornInput, k: Inputs, out: Run, first: Run | null): SinkhornOutput {
  // The stopping test belongs to the detached run; the final step can only add a blow-up.
  const status = first === null || out.status === 'diverged' ? out.status : first.status;
  const saved: Saved | null = out.historyU && out.historyV
    ? { k, historyU: out.historyU, historyV: out.historyV, iterations: out.nIter, v0: first && first.logV }
    : null;
  return {
    value: out.valueLinear + p.reg * (p.regType === 'KL' ? out.kl : out.entropy),
    valueLinear: out.valueLinear,
    plan: out.plan!,
    logU: out.logU,
    logV: out.logV,
    status,
    nIter: first === null ? out.nIter - 1 : p.maxIter,
    saved,
  };
}

export function sinkhorn(p: SinkhornInput): SinkhornOutput {
  const k = inputs(p);
  const calls = schedule(p);
  const run = (maxIter: number, o: CudaSinkhornOptions): Run => nativeCuda.cudaSinkhornLogDevice(k.M, k.a, k.b, p.n, p.m, p.reg, maxIter, p.tol, o);
  const first = calls.first && run(p.maxIter - 1, calls.first);
  return output(p, k, run(...calls.main(first)), first);
}

export async function sinkhornAsync(fn: string, p: SinkhornInput, signal: AbortSignal | undefined): Promise<SinkhornOutput> {
  const calls = schedule(p);
  return withCancelFlag(fn, signal, async (flag) => {
    const k = inputs(p); // after the abort check: an aborted call uploads nothing
    const run = (maxIter: number, o: CudaSinkhornOptions): Promise<Run> =>
      nativeCuda.cudaSinkhornLogDeviceAsync(k.M, k.a, k.b, p.n, p.m, p.reg, maxIter, p.tol, o, flag);
    const first = calls.first && (await run(p.maxIter - 1, calls.first));
    return output(p, k, await run(...calls.main(first)), first);
  });
}

export function sinkhornAdjoint(p: SinkhornInput, out: SinkhornOutput, c: SinkhornCotangents): SinkhornGrads {
  const saved = out.saved as Saved | null;
  if (saved === null) return fail('ERR_OT_VALUE', 'solve: the GPU forward kept no iterations to differentiate');
  const dtype = p.M.dtype;
  const cot: CudaSinkhornCotangents = {
    valueLinear: c.valueLinear + c.value,
    [p.regType === 'KL' ? 'kl' : 'entropy']: p.reg * c.value,
  };
  if (c.plan) cot.gPlan = operandAs(c.plan, dtype);
  if (c.logU) cot.gLogU = operandAs(c.logU, dtype);
  if (c.logV) cot.gLogV = operandAs(c.logV, dtype);
  // last_step: the u-update read the detached v, and the value terms see M, a, b only through the plan.
  if (saved.v0) Object.assign(cot, { v0: saved.v0, directTerms: false });
  const { k } = saved;
  const g = nativeCuda.cudaSinkhornLogAdjointDevice(k.M, k.a, k.b, p.n, p.m, p.reg, saved.historyU, saved.historyV, saved.iterations, cot);
  return { dM: p.M.requiresGrad ? new Tensor(g.dM, [p.n, p.m]) : null, da: new Tensor(g.da, [p.n]), db: new Tensor(g.db, [p.m]) };
}
