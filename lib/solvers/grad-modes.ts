// The gradient modes of ot.solve's entropic branch (POT master): how the native forward's outputs
// become tensors and what their backward does — 'detach', 'envelope', and 'autodiff' / 'last_step'
// through the native adjoint (native/cpu/sinkhorn_adjoint.cc); cuda tensors: solve-cuda.ts.
import { MultiOutputNode } from '../tensor/autograd.js';
import { allocate, type DType, type FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { fail } from '../core/validate.js';
import { GRAD_MODES, type GradMode } from '../core/vocabulary.js';
import { nativeSolve, type EntropicRegType, type NativeSolveOut, type SolveStatus } from './native-solve.js';
import { OTResult } from './result.js';

export { GRAD_MODES, type GradMode };

/** A validated problem, ready for the native calls. */
export interface SolveProblem {
  M: Tensor;
  a: Tensor;
  b: Tensor;
  /** a and b as float64 (what the kernels read). */
  aData: Float64Array;
  bData: Float64Array;
  n: number;
  m: number;
  reg: number;
  regType: EntropicRegType;
  grad: GradMode;
}

export function scalar(v: number, dtype: DType): FloatArray {
  const out = allocate(dtype, 1);
  out[0] = v;
  return out;
}

function converted(data: FloatArray, dtype: DType): FloatArray {
  if ((dtype === 'float64') === data instanceof Float64Array) return data;
  const out = allocate(dtype, data.length);
  out.set(data);
  return out;
}

/** Turns the native forward's output into an OTResult whose tensors carry the mode's gradients. */
export function buildResult(p: SolveProblem, out: NativeSolveOut): OTResult {
  const dtype = p.M.dtype;
  const common = { status: out.status, nIter: out.nIter };
  const needs = p.M.requiresGrad || p.a.requiresGrad || p.b.requiresGrad;
  if (p.grad === 'detach' || !needs) {
    return new OTResult({
      ...common,
      value: new Tensor(scalar(out.value, dtype), []),
      valueLinear: new Tensor(scalar(out.valueLinear, dtype), []),
      plan: new Tensor(out.plan, [p.n, p.m]),
      potentials: [new Tensor(out.logU, [p.n]), new Tensor(out.logV, [p.m])],
    });
  }
  if (p.grad === 'envelope') return envelope(p, out);
  return throughIterations(p, out);
}

// A diverged solve's potentials are meaningless: its gradients would be NaN or garbage.
export function refuseDiverged(status: SolveStatus): void {
  if (status === 'diverged') {
    fail('ERR_OT_VALUE', "solve (backward): the solve diverged (status 'diverged'), so it has no gradient; rescale M or increase reg");
  }
}

/**
 * The envelope gradient of value w.r.t. a weight vector: reg (x - mean x) g for its log-potential x.
 * Zero-weight entries have potential -inf (POT: log 0), which would make every entry NaN: they get a
 * zero gradient (as through the iterations) and stay out of the mean.
 */
export function centredPotential(x: FloatArray, reg: number, g: number, like: DType): FloatArray {
  let mean = 0;
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]!)) {
      mean += x[i]!;
      count++;
    }
  }
  mean /= Math.max(count, 1);
  const r = allocate(like, x.length);
  for (let i = 0; i < x.length; i++) r[i] = Number.isFinite(x[i]!) ? reg * (x[i]! - mean) * g : 0;
  return r;
}

// Detached solve; value's gradient is set to (plan, reg (logU - mean), reg (logV - mean)) like POT's
// nx.set_gradients, the other outputs carry none.
function envelope(p: SolveProblem, out: NativeSolveOut): OTResult {
  const dtype = p.M.dtype;
  const value = Tensor.fromOp(scalar(out.value, dtype), [], {
    name: 'solve.envelope',
    inputs: [p.M, p.a, p.b],
    backward: (g) => {
      refuseDiverged(out.status);
      const gv = g.data[0]!;
      let dM: Tensor | null = null;
      if (p.M.requiresGrad) {
        const d = allocate(dtype, out.plan.length);
        for (let i = 0; i < d.length; i++) d[i] = out.plan[i]! * gv;
        dM = new Tensor(d, [p.n, p.m]);
      }
      return [
        dM,
        p.a.requiresGrad ? new Tensor(centredPotential(out.logU, p.reg, gv, p.a.dtype), [p.n]) : null,
        p.b.requiresGrad ? new Tensor(centredPotential(out.logV, p.reg, gv, p.b.dtype), [p.m]) : null,
      ];
    },
  });
  return new OTResult({
    status: out.status,
    nIter: out.nIter,
    value,
    valueLinear: new Tensor(scalar(out.valueLinear, dtype), []),
    plan: new Tensor(out.plan, [p.n, p.m]),
    potentials: [new Tensor(out.logU, [p.n]), new Tensor(out.logV, [p.m])],
  });
}

// Never writes into `g`: it may be the caller's own gradOutput.
function inDtype(g: Tensor | null, dtype: DType): FloatArray | null {
  return g === null ? null : g.dtype === dtype ? g.data : g.to(dtype).data;
}

// 'autodiff' and 'last_step': value, valueLinear, plan and the potentials are the outputs of one node
// with inputs (M, a, b), whose one backward replays the iterations natively for all their gradients.
function throughIterations(p: SolveProblem, out: NativeSolveOut): OTResult {
  const dtype = p.M.dtype;
  if (!out.history) fail('ERR_OT_VALUE', 'solve: the forward kept no iterations to differentiate');
  const history = out.history;
  const node = new MultiOutputNode(p.grad === 'autodiff' ? 'solve.autodiff' : 'solve.last_step', [p.M, p.a, p.b], (gs) => {
    refuseDiverged(out.status);
    const [gValue, gValueLinear, gPlan, gLogU, gLogV] = gs;
    const [dM, da, db] = nativeSolve.sinkhornBackward(
      p.M.data, p.aData, p.bData, p.n, p.m, p.reg, p.regType, history, out.iterations, p.grad === 'autodiff',
      gValue ? gValue.data[0]! : 0, gValueLinear ? gValueLinear.data[0]! : 0, inDtype(gPlan, dtype), inDtype(gLogU, dtype),
      inDtype(gLogV!, dtype), p.M.requiresGrad, p.grad === 'last_step',
    );
    return [
      dM && new Tensor(dM, [p.n, p.m]),
      p.a.requiresGrad ? new Tensor(converted(da, p.a.dtype), [p.n]) : null,
      p.b.requiresGrad ? new Tensor(converted(db, p.b.dtype), [p.m]) : null,
    ];
  });
  return new OTResult({
    status: out.status,
    nIter: out.nIter,
    value: Tensor.fromOp(scalar(out.value, dtype), [], node.output(0, 'value')),
    valueLinear: Tensor.fromOp(scalar(out.valueLinear, dtype), [], node.output(1, 'valueLinear')),
    plan: Tensor.fromOp(out.plan, [p.n, p.m], node.output(2, 'plan')),
    potentials: [Tensor.fromOp(out.logU, [p.n], node.output(3, 'logU')), Tensor.fromOp(out.logV, [p.m], node.output(4, 'logV'))],
  });
}
