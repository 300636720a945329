// Tensor: a dense n-d array (float32/float64) with torch-style reverse-mode autodiff.
// Elementwise ops run in JS; heavy ops (dist, solve, dual losses) are native and record their own GradFn.
import { fail } from '../utils/validate.js';
import { runBackward, type GradFn } from './autograd.js';
import { binaryMap, broadcastShapes, reduceToShape } from './broadcast.js';
import { allocate, checkDType, checkDevice, dtypeOf, numel, promote, sameShape, type Device, type DType, type FloatArray } from './dtype.js';

export type NestedArray = number | NestedArray[];

export class Tensor {
  /** Row-major values (a typed array in the tensor's dtype). */
  readonly data: FloatArray;
  /** Dimensions, outermost first; [] for a scalar. */
  readonly shape: readonly number[];
  /** Where the values live; 'cuda' tensors require a GPU build and device. */
  readonly device: Device;
  /** Accumulated gradient after backward() (leaves only), or null. */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, for non-leaf tensors that require grad. */
  gradFn: GradFn | null = null;
  private _requiresGrad: boolean;

  constructor(data: FloatArray, shape: readonly number[], opts: { requiresGrad?: boolean; device?: Device } = {}) {
    if (numel(shape) !== data.length) {
      fail('ERR_OT_SHAPE', `tensor: shape [${shape.join(', ')}] holds ${numel(shape)} values but data has ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.device = opts.device ?? 'cpu';
    this._requiresGrad = opts.requiresGrad ?? false;
  }

  /** Builds a result tensor, recording `gradFn` when any input requires grad. */
  static fromOp(data: FloatArray, shape: readonly number[], gradFn: GradFn | null, device: Device = 'cpu'): Tensor {
    const needs = gradFn !== null && gradFn.inputs.some((t) => t !== null && t.requiresGrad);
    const t = new Tensor(data, shape, { requiresGrad: needs, device });
    if (needs) t.gradFn = gradFn;
    return t;
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return this.data.length;
  }
  /** True for tensors created by the user (not by an op): they collect .grad. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Sets requiresGrad in place on a leaf and returns this (torch's requires_grad_). */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) fail('ERR_OT_ARG', 'requiresGrad_: only leaf tensors can change requiresGrad');
    this._requiresGrad = flag;
    return this;
  }

  /** Reverse-mode differentiation from this tensor; a non-scalar needs `gradOutput`. */
  backward(gradOutput?: Tensor | NestedArray): void {
    if (!this.requiresGrad) fail('ERR_OT_ARG', 'backward: tensor does not require grad (no input had requiresGrad)');
    let seed: Tensor;
    if (gradOutput === undefined) {
      if (this.numel !== 1) fail('ERR_OT_SHAPE', `backward: gradOutput is required for a tensor of shape [${this.shape.join(', ')}]`);
      seed = new Tensor(allocate(this.dtype, 1).fill(1), this.shape);
    } else {
      seed = gradOutput instanceof Tensor ? gradOutput.detach() : fromNested(gradOutput, this.dtype);
      if (!sameShape(seed.shape, this.shape)) {
        fail('ERR_OT_SHAPE', `backward: gradOutput has shape [${seed.shape.join(', ')}], expected [${this.shape.join(', ')}]`);
      }
    }
    runBackward(this, seed);
  }

  /**
   * @internal Adds `g` into this leaf's .grad (torch accumulates across backward calls). With `adopt`
   * the first gradient's buffer becomes .grad without a copy (the tape guarantees nobody else holds
   * it), which saves an n×m buffer for large costs; later sums allocate, so .grad is never mutated.
   */
  accumulateGrad(g: Tensor, adopt = false): void {
    const gg = g.dtype === this.dtype ? g : g.to(this.dtype);
    if (this.grad === null) {
      const owned = adopt && gg === g;
      this.grad = new Tensor(owned ? gg.data : copyAs(gg.data, this.dtype), this.shape);
    } else {
      const prev = this.grad.data;
      const sum = allocate(this.dtype, prev.length);
      for (let i = 0; i < sum.length; i++) sum[i] = prev[i]! + gg.data[i]!;
      this.grad = new Tensor(sum, this.shape);
    }
  }

  /** A tensor sharing these values, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, { device: this.device });
  }

  /** A copy of the values (differentiable, like torch.clone). */
  clone(): Tensor {
    return Tensor.fromOp(copyAs(this.data, this.dtype), this.shape, {
      name: 'clone',
      inputs: [this],
      backward: (g) => [g],
    }, this.device);
  }

  /** Nested JS arrays of the values (a number for a scalar). */
  toArray(): NestedArray {
    return toNested(this.data, this.shape);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) fail('ERR_OT_SHAPE', `item: tensor has ${this.numel} values, expected 1`);
    return this.data[0]!;
  }

  /** Same values, new shape (one dimension may be -1). */
  reshape(shape: readonly number[]): Tensor {
    const resolved = resolveShape(shape, this.numel);
    const inShape = this.shape;
    return Tensor.fromOp(this.data, resolved, { name: 'reshape', inputs: [this], backward: (g) => [g.reshape(inShape)] }, this.device);
  }

  /** Moves to a device or converts to a dtype (differentiable for dtype changes). */
  to(target: Device | DType): Tensor {
    if (target === 'float32' || target === 'float64') {
      if (target === this.dtype) return this;
      const src = this.dtype;
      return Tensor.fromOp(copyAs(this.data, target), this.shape, { name: 'to', inputs: [this], backward: (g) => [g.to(src)] }, this.device);
    }
    const dev = checkDevice('to', target);
    if (dev === this.device) return this;
    return fail('ERR_OT_DEVICE', `to: device '${dev}' is not available in this build (see ot.backend())`);
  }

  add(other: Tensor | number): Tensor {
    return binary('add', this, other, (x, y) => x + y, (g) => g, (g) => g);
  }
  sub(other: Tensor | number): Tensor {
    return binary('sub', this, other, (x, y) => x - y, (g) => g, (g) => g.neg());
  }
  mul(other: Tensor | number): Tensor {
    return binary('mul', this, other, (x, y) => x * y, (g, _a, b) => g.mul(b), (g, a) => g.mul(a));
  }
  div(other: Tensor | number): Tensor {
    return binary('div', this, other, (x, y) => x / y, (g, _a, b) => g.div(b), (g, a, b) => g.mul(a).div(b.mul(b)).neg());
  }
  neg(): Tensor {
    return unary('neg', this, (x) => -x, (g) => g.neg());
  }
  exp(): Tensor {
    return unary('exp', this, Math.exp, (g, _x, y) => g.mul(y));
  }
  log(): Tensor {
    return unary('log', this, Math.log, (g, x) => g.div(x));
  }
  sqrt(): Tensor {
    return unary('sqrt', this, Math.sqrt, (g, _x, y) => g.div(y.mul(2)));
  }
  abs(): Tensor {
    return unary('abs', this, Math.abs, (g, x) => g.mul(mapT(x, Math.sign)));
  }
  pow(p: number): Tensor {
    if (typeof p !== 'number' || !Number.isFinite(p)) fail('ERR_OT_ARG', `pow: exponent must be a finite number, got ${String(p)}`);
    return unary('pow', this, (x) => x ** p, (g, x) => g.mul(mapT(x, (v) => p * v ** (p - 1))));
  }

  /** Sum of all values, or along `dim` (keepdim keeps it as size 1). */
  sum(dim?: number, keepdim = false): Tensor {
    return reduce('sum', this, dim, keepdim);
  }
  mean(dim?: number, keepdim = false): Tensor {
    const count = dim === undefined ? this.numel : this.shape[normDim('mean', dim, this.ndim)]!;
    return reduce('sum', this, dim, keepdim).div(count);
  }
  /** Largest value (scalar); its gradient flows to the first maximiser. */
  max(): Tensor {
    return extreme('max', this, (a, b) => a > b);
  }
  min(): Tensor {
    return extreme('min', this, (a, b) => a < b);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

function copyAs(src: FloatArray, dtype: DType): FloatArray {
  const out = allocate(dtype, src.length);
  out.set(src);
  return out;
}

function mapT(t: Tensor, f: (x: number) => number): Tensor {
  const out = allocate(t.dtype, t.numel);
  for (let i = 0; i < out.length; i++) out[i] = f(t.data[i]!);
  return new Tensor(out, t.shape);
}

function asTensor(fn: string, v: Tensor | number, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number') fail('ERR_OT_ARG', `${fn}: the other operand must be a Tensor or a number, got ${v === null ? 'null' : typeof v}`);
  const d = allocate(like.dtype, 1);
  d[0] = v;
  return new Tensor(d, []);
}

function unary(name: string, x: Tensor, f: (v: number) => number, df: (g: Tensor, x: Tensor, y: Tensor) => Tensor): Tensor {
  const out = allocate(x.dtype, x.numel);
  const d = x.data;
  for (let i = 0; i < out.length; i++) out[i] = f(d[i]!);
  const shape = x.shape;
  const result: Tensor = Tensor.fromOp(out, shape, {
    name,
    inputs: [x],
    backward: (g) => [df(g, x.detach(), new Tensor(out, shape))],
  }, x.device);
  return result;
}

function binary(
  name: string, a: Tensor, bv: Tensor | number, f: (x: number, y: number) => number,
  da: (g: Tensor, a: Tensor, b: Tensor) => Tensor, db: (g: Tensor, a: Tensor, b: Tensor) => Tensor,
): Tensor {
  const b = asTensor(name, bv, a);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const dtype = promote(a.dtype, b.dtype);
  const out = binaryMap(a.data, a.shape, b.data, b.shape, shape, dtype, f);
  return Tensor.fromOp(out, shape, {
    name,
    inputs: [a, b],
    backward: (g) => {
      const ad = a.detach();
      const bd = b.detach();
      const ga = a.requiresGrad ? da(g, ad, bd) : null;
      const gb = b.requiresGrad ? db(g, ad, bd) : null;
      return [
        ga && new Tensor(reduceToShape(ga.data, ga.shape, a.shape, a.dtype), a.shape),
        gb && new Tensor(reduceToShape(gb.data, gb.shape, b.shape, b.dtype), b.shape),
      ];
    },
  }, a.device);
}

function normDim(fn: string, dim: number, ndim: number): number {
  const d = dim < 0 ? dim + ndim : dim;
  if (!Number.isInteger(d) || d < 0 || d >= ndim) fail('ERR_OT_ARG', `${fn}: dim ${dim} is out of range for a ${ndim}-d tensor`);
  return d;
}

function reduce(name: string, x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  if (dim === undefined) {
    let s = 0;
    for (let i = 0; i < x.numel; i++) s += x.data[i]!;
    const out = allocate(x.dtype, 1);
    out[0] = s;
    return Tensor.fromOp(out, [], {
      name, inputs: [x],
      backward: (g) => [new Tensor(allocate(x.dtype, x.numel).fill(g.data[0]!), x.shape)],
    }, x.device);
  }
  const d = normDim(name, dim, x.ndim);
  const outer = numel(x.shape.slice(0, d));
  const len = x.shape[d]!;
  const inner = numel(x.shape.slice(d + 1));
  const out = allocate(x.dtype, outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < len; k++) {
      const base = (o * len + k) * inner;
      for (let i = 0; i < inner; i++) out[o * inner + i] += x.data[base + i]!;
    }
  }
  const keptShape = x.shape.map((s, i) => (i === d ? 1 : s));
  const shape = keepdim ? keptShape : x.shape.filter((_, i) => i !== d);
  return Tensor.fromOp(out, shape, {
    name, inputs: [x],
    backward: (g) => [new Tensor(allocate(x.dtype, x.numel), x.shape).add(g.reshape(keptShape))],
  }, x.device);
}

function extreme(name: string, x: Tensor, better: (a: number, b: number) => boolean): Tensor {
  if (x.numel === 0) fail('ERR_OT_SHAPE', `${name}: tensor is empty`);
  let best = 0;
  for (let i = 1; i < x.numel; i++) if (better(x.data[i]!, x.data[best]!) || Number.isNaN(x.data[i]!)) best = i;
  const out = allocate(x.dtype, 1);
  out[0] = x.data[best]!;
  return Tensor.fromOp(out, [], {
    name, inputs: [x],
    backward: (g) => {
      const gd = allocate(x.dtype, x.numel);
      gd[best] = g.data[0]!;
      return [new Tensor(gd, x.shape)];
    },
  }, x.device);
}

function resolveShape(shape: readonly number[], total: number): number[] {
  if (!Array.isArray(shape)) fail('ERR_OT_SHAPE', `reshape: shape must be an array of integers, got ${typeof shape}`);
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.some((s, i) => !Number.isInteger(s) || (s < 0 && i !== free))) fail('ERR_OT_SHAPE', `reshape: invalid shape [${shape.join(', ')}]`);
  if (free >= 0) {
    const rest = numel(out.filter((_, i) => i !== free));
    out[free] = rest === 0 ? 0 : total / rest;
  }
  if (numel(out) !== total || !out.every(Number.isInteger)) fail('ERR_OT_SHAPE', `reshape: cannot view ${total} values as [${shape.join(', ')}]`);
  return out;
}

function toNested(data: FloatArray, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return data[0]!;
  const rec = (offset: number, d: number): NestedArray[] | number[] => {
    const len = shape[d]!;
    const stride = numel(shape.slice(d + 1));
    if (d === shape.length - 1) return Array.from(data.subarray(offset, offset + len));
    const out: NestedArray[] = [];
    for (let i = 0; i < len; i++) out.push(rec(offset + i * stride, d + 1));
    return out;
  };
  return rec(0, 0);
}

/** Builds a tensor from nested arrays (checked rectangular and numeric). */
export function fromNested(data: NestedArray, dtype: DType = 'float64'): Tensor {
  checkDType('tensor', dtype);
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0]!;
  }
  const out = allocate(dtype, numel(shape));
  let k = 0;
  const walk = (v: NestedArray, d: number): void => {
    if (d === shape.length) {
      if (typeof v !== 'number') fail('ERR_OT_ARG', `tensor: expected a number at depth ${d}, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) fail('ERR_OT_SHAPE', `tensor: ragged nested array (dimension ${d} should have ${shape[d]} entries)`);
    for (const e of v) walk(e, d + 1);
  };
  walk(data, 0);
  return new Tensor(out, shape);
}
