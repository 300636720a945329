// Dual losses, plans and whole dual ascents on the CPU: one fused native pass over the n×m pairs
// (native/cpu/dual.cc) gives the loss and every wanted gradient; nothing n×m is stored.
import { withCancelFlag } from '../../core/cancel.js';
import type { GradFn } from '../../tensor/autograd.js';
import { allocate, type DType, type FloatArray } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradLayout, nativeDual, WANT, type DualAscentFields, type DualAscentResult, type DualFields, type DualPrepared, type GradLayout } from '../native-dual.js';
import type { DualAscentInput, DualAscentOutput, DualInput as Problem } from '../types.js';
import { slabArray } from './grad-slab.js';

/** The options object every dual entry point reads (the CPU kernels take the tensors' host arrays). */
function fields(pb: Problem, cancel?: Int32Array): DualFields {
  const { u, v, xs, xt, ws, wt } = pb;
  return {
    u: u.data, v: v.data, xs: xs.data, xt: xt.data, ws: ws ? ws.data : null, wt: wt ? wt.data : null,
    d: pb.d, kind: pb.kind, metric: pb.metric, p: pb.p, reg: pb.reg, cancel,
  };
}

/** Which gradients the kernel must produce: those of the inputs that require grad. */
function wantMask(pb: Problem): number {
  let w = 0;
  if (pb.u.requiresGrad) w |= WANT.u;
  if (pb.v.requiresGrad) w |= WANT.v;
  if (pb.xs.requiresGrad) w |= WANT.xs;
  if (pb.xt.requiresGrad) w |= WANT.xt;
  if (pb.ws?.requiresGrad) w |= WANT.ws;
  if (pb.wt?.requiresGrad) w |= WANT.wt;
  return w;
}

/** The kernel's gradient buffer for the inputs that require grad (null when none does). */
interface GradBuffer {
  want: number;
  layout: GradLayout | null;
  out: FloatArray | null;
}

function gradBuffer(pb: Problem): GradBuffer {
  const want = wantMask(pb);
  if (want === 0) return { want, layout: null, out: null };
  const layout = gradLayout(want, pb.n, pb.m, pb.d);
  return { want, layout, out: slabArray(pb.dtype, layout.total) };
}

/**
 * s·(the slice of `out` at `offset`) as a tensor of `shape`, in a region of a gradient slab
 * (grad-slab.ts) that nothing else ever sees: a leaf may adopt it as its .grad, and `out` stays as the
 * kernel wrote it for a later backward through the same loss. No typed-array allocation per step.
 */
function scaled(out: FloatArray, offset: number | undefined, s: number, shape: readonly number[], dtype: DType): Tensor | null {
  if (offset === undefined) return null;
  let len = 1;
  for (let k = 0; k < shape.length; k++) len *= shape[k]!;
  const g = slabArray(dtype, len);
  if (s === 1) g.set(out.subarray(offset, offset + len));
  else for (let i = 0; i < len; i++) g[i] = s * out[offset + i]!;
  return new Tensor(g, shape);
}

/** The loss's backward: scales the gradients the kernel computed (a class: no closure per call). */
class DualLossGrad implements GradFn {
  readonly inputs: readonly (Tensor | null)[];
  constructor(readonly name: string, private readonly pb: Problem, private readonly out: FloatArray, private readonly at: GradLayout) {
    this.inputs = [pb.u, pb.v, pb.xs, pb.xt, pb.ws, pb.wt];
  }

  backward(g: Tensor): (Tensor | null)[] {
    const s = g.data[0]!;
    const { pb: { u, v, xs, xt, ws, wt, dtype }, out, at } = this;
    return [
      scaled(out, at.u, s, u.shape, dtype), scaled(out, at.v, s, v.shape, dtype), scaled(out, at.xs, s, xs.shape, dtype),
      scaled(out, at.xt, s, xt.shape, dtype), ws && scaled(out, at.ws, s, ws.shape, dtype), wt && scaled(out, at.wt, s, wt.shape, dtype),
    ];
  }
}

const SCALAR: readonly number[] = Object.freeze([]);

/** Wraps the kernel's loss as a scalar whose backward only scales the precomputed gradients. */
function lossOutput(name: string, pb: Problem, loss: number, buf: GradBuffer): Tensor {
  const data = allocate(pb.dtype, 1);
  data[0] = loss;
  const { out, layout: at } = buf;
  if (out === null || at === null) return new Tensor(data, SCALAR);
  return Tensor.fromOp(data, SCALAR, new DualLossGrad(name, pb, out, at));
}

/**
 * Handles of problems seen more than once (the facade hands an optimisation loop the same Problem every
 * step): null after the first call, a dualPrepare handle from the second on, so each step's native call
 * reads two fields instead of thirteen.
 */
const prepared = new WeakMap<Problem, { want: number; handle: DualPrepared } | null>();

export function dualLoss(fn: string, pb: Problem): Tensor {
  const buf = gradBuffer(pb);
  const seen = prepared.get(pb);
  let loss: number;
  if (seen !== undefined && seen !== null && seen.want === buf.want) {
    loss = nativeDual.dualLoss({ prepared: seen.handle, out: buf.out });
  } else if (seen === undefined) {
    prepared.set(pb, null);
    const { u, v, xs, xt, ws, wt } = pb;
    loss = nativeDual.dualLoss({
      u: u.data, v: v.data, xs: xs.data, xt: xt.data, ws: ws ? ws.data : null, wt: wt ? wt.data : null,
      d: pb.d, kind: pb.kind, metric: pb.metric, p: pb.p, reg: pb.reg, want: buf.want, out: buf.out,
    });
  } else {
    const handle = nativeDual.dualPrepare({ ...fields(pb), want: buf.want });
    prepared.set(pb, { want: buf.want, handle });
    loss = nativeDual.dualLoss({ prepared: handle, out: buf.out });
  }
  return lossOutput(fn, pb, loss, buf);
}

export async function dualLossAsync(fn: string, pb: Problem, signal: AbortSignal | undefined): Promise<Tensor> {
  const buf = gradBuffer(pb);
  const loss = await withCancelFlag(fn, signal, (flag) => nativeDual.dualLossAsync({ ...fields(pb, flag), want: buf.want, out: buf.out }));
  return lossOutput(fn, pb, loss, buf);
}

export function dualPlan(_fn: string, pb: Problem): Tensor {
  return new Tensor(nativeDual.dualPlan(fields(pb)), [pb.n, pb.m]);
}

export async function dualPlanAsync(fn: string, pb: Problem, signal: AbortSignal | undefined): Promise<Tensor> {
  const G = await withCancelFlag(fn, signal, (flag) => nativeDual.dualPlanAsync(fields(pb, flag)));
  return new Tensor(G, [pb.n, pb.m]);
}

/** The optimiser's fields of a native dual ascent. */
function ascentFields(pb: DualAscentInput, cancel?: Int32Array): DualAscentFields {
  return { ...fields(pb, cancel), ...pb.optimizer, steps: pb.steps };
}

function ascentOutput(pb: DualAscentInput, r: DualAscentResult): DualAscentOutput {
  return { u: new Tensor(r.u, [pb.n]), v: new Tensor(r.v, [pb.m]), history: r.history, value: r.value };
}

export function dualAscent(_fn: string, pb: DualAscentInput): DualAscentOutput {
  return ascentOutput(pb, nativeDual.dualAscent(ascentFields(pb)));
}

export async function dualAscentAsync(fn: string, pb: DualAscentInput, signal: AbortSignal | undefined): Promise<DualAscentOutput> {
  return ascentOutput(pb, await withCancelFlag(fn, signal, (flag) => nativeDual.dualAscentAsync(ascentFields(pb, flag))));
}
