// The cuda branch of ot.solve / solveAsync: log-domain Sinkhorn on the GPU (native/cuda/sinkhorn.cu) on
// M's device buffer, every gradient mode through the GPU adjoint (native/cuda/sinkhorn_adjoint.cu);
// plan, potentials and gradients stay on the GPU.
import { withCancelFlag } from '../core/cancel.js';
import {
  nativeCuda, type CudaBuffer, type CudaOperand, type CudaSinkhornCotangents, type CudaSinkhornOptions, type CudaSinkhornResult,
} from '../cuda/native-cuda.js';
import { hostOnCuda, operandAs } from '../cuda/tensors.js';
import { allocate, type DType, type FloatArray } from '../tensor/dtype.js';
import { MultiOutputNode } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { centredPotential, refuseDiverged, scalar, type SolveProblem } from './grad-modes.js';
import type { SolveStatus } from './native-solve.js';
import { OTResult } from './result.js';
import { fail } from '../core/validate.js';
import type { Resolved } from './solve.js';

type Run = CudaSinkhornResult<CudaBuffer>;

/** The kernel's inputs: M's buffer and the weights in M's dtype (null = uniform, the kernel's default). */
interface Inputs {
  M: CudaBuffer;
  a: CudaOperand | null;
  b: CudaOperand | null;
}

/** What the forward produced, in POT's terms. */
interface Forward {
  out: Run;
  /** last_step: the detached run whose potentials the final step starts from. */
  first: Run | null;
  status: SolveStatus;
  nIter: number;
}

function sameValues(x: FloatArray, y: Float64Array): boolean {
  for (let i = 0; i < y.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The weights the kernel reads: the tensor's own GPU buffer when its values are those resolve()
 * settled on (b may have been rescaled to a's mass) in M's dtype, else those values in M's dtype
 * (uploaded by the call); null for the uniform default (a CPU tensor made by resolve()).
 */
function weightOperand(w: Tensor, values: Float64Array, dtype: DType): CudaOperand | null {
  if (w.device !== 'cuda') return null;
  if (w.dtype === dtype && sameValues(w.data, values)) return w.cudaBuffer();
  const out = allocate(dtype, values.length);
  out.set(values);
  return out;
}

function inputs(p: SolveProblem): Inputs {
  const dtype = p.M.dtype;
  return { M: p.M.cudaBuffer(), a: weightOperand(p.a, p.aData, dtype), b: weightOperand(p.b, p.bData, dtype) };
}

/** The calls of one solve: (maxIter, options) of the run, and of the detached run before it for last_step. */
function schedule(r: Resolved): { first: CudaSinkhornOptions | null; main: (first: Run | null) => [number, CudaSinkhornOptions] } {
  if (r.problem.grad === 'last_step') {
    // POT: maxIter − 1 detached iterations, then one update of v and u from the detached potentials.
    return { first: { plan: false }, main: (f) => [1, { plan: true, history: true, u0: f!.logU, v0: f!.logV }] };
  }
  return { first: null, main: () => [r.maxIter, { plan: true, history: r.record === 'history' }] };
}

function forward(r: Resolved, out: Run, first: Run | null): Forward {
  if (first === null) return { out, first, status: out.status, nIter: out.nIter - 1 };
  // The stopping test belongs to the detached run; the final step can only add a blow-up.
  const status = out.status === 'diverged' ? 'diverged' : first.status;
  return { out, first, status, nIter: r.maxIter };
}

/** Runs the solve on the GPU (the caller warns about its status). */
export function solveCuda(r: Resolved): OTResult {
  const k = inputs(r.problem);
  const { n, m, reg } = r.problem;
  const calls = schedule(r);
  const run = (maxIter: number, o: CudaSinkhornOptions): Run => nativeCuda.cudaSinkhornLogDevice(k.M, k.a, k.b, n, m, reg, maxIter, r.tol, o);
  const first = calls.first && run(r.maxIter - 1, calls.first);
  return build(r.problem, k, forward(r, run(...calls.main(first)), first));
}

export async function solveCudaAsync(fn: string, r: Resolved, signal: AbortSignal | undefined): Promise<OTResult> {
  const { n, m, reg } = r.problem;
  const calls = schedule(r);
  const [k, f] = await withCancelFlag(fn, signal, async (flag) => {
    const k = inputs(r.problem); // after the abort check: an aborted call uploads nothing
    const run = (maxIter: number, o: CudaSinkhornOptions): Promise<Run> =>
      nativeCuda.cudaSinkhornLogDeviceAsync(k.M, k.a, k.b, n, m, reg, maxIter, r.tol, o, flag);
    const first = calls.first && (await run(r.maxIter - 1, calls.first));
    return [k, forward(r, await run(...calls.main(first)), first)] as const;
  });
  return build(r.problem, k, f);
}

// ---- results and their gradients (the modes of grad-modes.ts, on GPU buffers) ----

function valueOf(p: SolveProblem, out: Run): number {
  return out.valueLinear + p.reg * (p.regType === 'KL' ? out.kl : out.entropy);
}

function cudaScalar(v: number, dtype: DType): Tensor {
  return hostOnCuda(scalar(v, dtype), []);
}

/** A gradient computed in M's dtype, in the dtype of the input it belongs to. */
function inDtype(g: Tensor, dtype: DType): Tensor {
  return g.dtype === dtype ? g : g.to(dtype);
}

function build(p: SolveProblem, k: Inputs, f: Forward): OTResult {
  const dtype = p.M.dtype;
  const { out } = f;
  const needs = p.M.requiresGrad || p.a.requiresGrad || p.b.requiresGrad;
  if (p.grad === 'detach' || !needs) {
    return new OTResult({
      status: f.status,
      nIter: f.nIter,
      value: cudaScalar(valueOf(p, out), dtype),
      valueLinear: cudaScalar(out.valueLinear, dtype),
      plan: new Tensor(out.plan!, [p.n, p.m]),
      potentials: [new Tensor(out.logU, [p.n]), new Tensor(out.logV, [p.m])],
    });
  }
  return p.grad === 'envelope' ? envelope(p, f) : throughIterations(p, k, f);
}

// Detached solve; value's gradient is (plan, reg (logU − mean), reg (logV − mean)), POT's set_gradients.
function envelope(p: SolveProblem, f: Forward): OTResult {
  const dtype = p.M.dtype;
  const plan = new Tensor(f.out.plan!, [p.n, p.m]);
  const potentials = [new Tensor(f.out.logU, [p.n]), new Tensor(f.out.logV, [p.m])] as const;
  const value = Tensor.fromOp(scalar(valueOf(p, f.out), dtype), [], {
    name: 'solve.envelope',
    inputs: [p.M, p.a, p.b],
    backward: (g) => {
      refuseDiverged(f.status);
      const gv = g.item();
      let dM: Tensor | null = null;
      if (p.M.requiresGrad) {
        // The usual value.backward() seeds 1: the plan's own GPU buffer is the gradient (never written in place).
        dM = gv === 1 ? new Tensor(f.out.plan!, [p.n, p.m]) : plan.mul(gv);
      }
      return [
        dM,
        p.a.requiresGrad ? hostOnCuda(centredPotential(potentials[0].data, p.reg, gv, p.a.dtype), [p.n]) : null,
        p.b.requiresGrad ? hostOnCuda(centredPotential(potentials[1].data, p.reg, gv, p.b.dtype), [p.m]) : null,
      ];
    },
  }, 'cuda');
  return new OTResult({
    status: f.status, nIter: f.nIter, value, valueLinear: cudaScalar(f.out.valueLinear, dtype), plan, potentials,
  });
}

// 'autodiff' and 'last_step' as in grad-modes.ts: the outputs of one node with inputs (M, a, b) whose
// one backward runs the GPU adjoint over the recorded iterations.
function throughIterations(p: SolveProblem, k: Inputs, f: Forward): OTResult {
  const dtype = p.M.dtype;
  const { out, first } = f;
  if (!out.historyU || !out.historyV) fail('ERR_OT_VALUE', 'solve: the GPU forward kept no iterations to differentiate');
  const [histU, histV] = [out.historyU, out.historyV];
  const node = new MultiOutputNode(p.grad === 'autodiff' ? 'solve.autodiff' : 'solve.last_step', [p.M, p.a, p.b], (gs) => {
    refuseDiverged(f.status);
    const [gValue, gValueLinear, gPlan, gLogU, gLogV] = gs;
    const sValue = gValue ? gValue.item() : 0;
    const cot: CudaSinkhornCotangents = {
      valueLinear: (gValueLinear ? gValueLinear.item() : 0) + sValue,
      [p.regType === 'KL' ? 'kl' : 'entropy']: p.reg * sValue,
    };
    if (gPlan) cot.gPlan = operandAs(gPlan, dtype);
    if (gLogU) cot.gLogU = operandAs(gLogU, dtype);
    if (gLogV) cot.gLogV = operandAs(gLogV, dtype);
    // last_step: the u-update read the detached v, and the value terms see M, a, b only through the plan.
    if (first) Object.assign(cot, { v0: first.logV, directTerms: false });
    const g = nativeCuda.cudaSinkhornLogAdjointDevice(k.M, k.a, k.b, p.n, p.m, p.reg, histU, histV, out.nIter, cot);
    return [
      p.M.requiresGrad ? new Tensor(g.dM, [p.n, p.m]) : null,
      p.a.requiresGrad ? inDtype(new Tensor(g.da, [p.n]), p.a.dtype) : null,
      p.b.requiresGrad ? inDtype(new Tensor(g.db, [p.m]), p.b.dtype) : null,
    ];
  });
  const output = (index: number, name: string, data: FloatArray | CudaBuffer, shape: number[]): Tensor =>
    Tensor.fromOp(data, shape, node.output(index, name), 'cuda');
  return new OTResult({
    status: f.status,
    nIter: f.nIter,
    value: output(0, 'value', scalar(valueOf(p, out), dtype), []),
    valueLinear: output(1, 'valueLinear', scalar(out.valueLinear, dtype), []),
    plan: output(2, 'plan', out.plan!, [p.n, p.m]),
    potentials: [output(3, 'logU', out.logU, [p.n]), output(4, 'logV', out.logV, [p.m])],
  });
}
