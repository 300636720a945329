// The gradient modes of ot.solve's entropic branch (POT master), for every device: how a backend's
// SinkhornOutput becomes an OTResult and what its backward does — 'detach', 'envelope', and
// 'autodiff' / 'last_step' through the backend's adjoint (one multi-output node).
import { backendFor, type SinkhornInput, type SinkhornOutput } from '../backend/index.js';
import { planOf, type Storage } from '../backend/types.js';
import { fail } from '../core/validate.js';
import type { Device, DType, GradMode, Status } from '../core/vocabulary.js';
import { MultiOutputNode } from '../tensor/autograd.js';
import { allocate, type FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { OTResult } from './result.js';

export { GRAD_MODES, type GradMode } from '../core/vocabulary.js';

/** A validated problem on `device`, ready for the backend, and how its gradients flow. */
export interface SolveProblem extends SinkhornInput {
  device: Device;
  grad: GradMode;
}

export function scalar(v: number, dtype: DType): FloatArray {
  const out = allocate(dtype, 1);
  out[0] = v;
  return out;
}

// A diverged solve's potentials are meaningless: its gradients would be NaN or garbage.
export function refuseDiverged(status: Status): void {
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

/** A gradient in the dtype of the input it belongs to. */
function inDtype(g: Tensor, dtype: DType): Tensor {
  return g.dtype === dtype ? g : g.to(dtype);
}

/** Turns the backend's forward into an OTResult whose tensors carry the mode's gradients. */
export function buildResult(p: SolveProblem, out: SinkhornOutput): OTResult {
  const dtype = p.M.dtype;
  const needs = p.M.requiresGrad || p.a.requiresGrad || p.b.requiresGrad;
  const on = { device: p.device };
  if (p.grad === 'detach' || !needs) {
    return new OTResult({
      status: out.status,
      nIter: out.nIter,
      value: new Tensor(scalar(out.value, dtype), [], on),
      valueLinear: new Tensor(scalar(out.valueLinear, dtype), [], on),
      plan: () => new Tensor(planOf(out), [p.n, p.m], on),
      potentials: [new Tensor(out.logU, [p.n], on), new Tensor(out.logV, [p.m], on)],
    });
  }
  if (p.grad === 'envelope') return envelope(p, out);
  return throughIterations(p, out);
}

// Detached solve; value's gradient is set to (plan, reg (logU - mean), reg (logV - mean)) like POT's
// nx.set_gradients, the other outputs carry none.
function envelope(p: SolveProblem, out: SinkhornOutput): OTResult {
  const dtype = p.M.dtype;
  const on = { device: p.device };
  // Made when first wanted: on read, or by the backward (M's gradient is the plan).
  let planTensor: Tensor | undefined;
  const plan = (): Tensor => (planTensor ??= new Tensor(planOf(out), [p.n, p.m], on));
  const potentials = [new Tensor(out.logU, [p.n], on), new Tensor(out.logV, [p.m], on)] as const;
  const value = Tensor.fromOp(scalar(out.value, dtype), [], {
    name: 'solve.envelope',
    inputs: [p.M, p.a, p.b],
    backward: (g) => {
      refuseDiverged(out.status);
      const gv = g.item();
      const centred = (x: Tensor, w: Tensor, len: number): Tensor | null =>
        w.requiresGrad ? new Tensor(centredPotential(x.data, p.reg, gv, w.dtype), [len], on) : null;
      return [p.M.requiresGrad ? backendFor(p.device).scaled(plan(), gv) : null, centred(potentials[0], p.a, p.n), centred(potentials[1], p.b, p.m)];
    },
  }, p.device);
  return new OTResult({
    status: out.status, nIter: out.nIter, value, valueLinear: new Tensor(scalar(out.valueLinear, dtype), [], on), plan, potentials,
  });
}

// 'autodiff' and 'last_step': value, valueLinear, plan and the potentials are the outputs of one node
// with inputs (M, a, b), whose one backward runs the backend's adjoint for all their gradients.
function throughIterations(p: SolveProblem, out: SinkhornOutput): OTResult {
  const dtype = p.M.dtype;
  const node = new MultiOutputNode(p.grad === 'autodiff' ? 'solve.autodiff' : 'solve.last_step', [p.M, p.a, p.b], (gs) => {
    refuseDiverged(out.status);
    const [gValue, gValueLinear, gPlan, gLogU, gLogV] = gs;
    const g = backendFor(p.device).sinkhornAdjoint(p, out, {
      value: gValue ? gValue.item() : 0, valueLinear: gValueLinear ? gValueLinear.item() : 0, plan: gPlan, logU: gLogU, logV: gLogV,
    });
    return [g.dM, p.a.requiresGrad ? inDtype(g.da, p.a.dtype) : null, p.b.requiresGrad ? inDtype(g.db, p.b.dtype) : null];
  });
  const output = (index: number, name: string, data: Storage, shape: number[]): Tensor =>
    Tensor.fromOp(data, shape, node.output(index, name), p.device);
  return new OTResult({
    status: out.status,
    nIter: out.nIter,
    value: output(0, 'value', scalar(out.value, dtype), []),
    valueLinear: output(1, 'valueLinear', scalar(out.valueLinear, dtype), []),
    plan: () => output(2, 'plan', planOf(out), [p.n, p.m]),
    potentials: [output(3, 'logU', out.logU, [p.n]), output(4, 'logV', out.logV, [p.m])],
  });
}
