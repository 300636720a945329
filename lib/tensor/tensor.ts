// Tensor: a dense n-d array (float32/float64) with torch-style reverse-mode autodiff: storage, devices,
// backward and thin op methods. Elementwise ops and reductions run in JS (elementwise.ts, reduce.ts);
// heavy ops (dist, solve, dual losses) are native and record their own GradFn.
import { fail } from '../core/validate.js';
import { runBackward, type GradFn } from './autograd.js';
import { bufferDType, download, isFloatBuffer, requireCuda, upload, type CudaBuffer } from './device.js';
import { allocate, checkDevice, dtypeOf, numel, sameShape, type Device, type DType, type FloatArray } from './dtype.js';
import { binary, mapT, unary } from './elementwise.js';
import { fromNested, resolveShape, toNested, type NestedArray } from './nested.js';
import { extreme, normDim, reduce } from './reduce.js';
import { formatTensor } from './format.js';
import { indexSelect, sliceDim, transpose2d } from './layout.js';
import { matmul } from './matmul.js';

// The op helpers import Tensor back; that cycle is safe because none of them touches it at load time.
export { fromNested, type NestedArray } from './nested.js';

/**
 * A dense n-d array of float32 or float64 values with reverse-mode autodiff.
 *
 * Devices: a 'cpu' tensor keeps its values in a typed array. A 'cuda' tensor keeps them in GPU memory
 * (a CudaBuffer) that the heavy operations (ot.dist, ot.solve, ot.batch, ot.stochastic and their
 * backward passes) read and write directly, so data stays on the GPU across operations and
 * iterations. Reading `.data` (or toArray, item) of a cuda tensor copies the values back once and
 * caches that host copy. Current behaviour: elementwise operations and
 * reductions (add, mul, exp, sum, max, ...) on cuda tensors run on that host copy and return cuda
 * tensors whose values are uploaded when a GPU kernel first needs them; optimisers update cuda
 * parameters the same way.
 * @example
 * const x = ot.tensor([[0, 1], [2, 3]], { dtype: 'float32', requiresGrad: true });
 * const g = x.to('cuda');   // ERR_OT_DEVICE without a GPU
 */
export class Tensor {
  /** Dimensions, outermost first; [] for a scalar. */
  readonly shape: readonly number[];
  /** Where the values live; 'cuda' tensors require a GPU build and device. */
  readonly device: Device;
  /** Accumulated gradient after backward() (leaves only), or null; on the tensor's device. */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, for non-leaf tensors that require grad. */
  gradFn: GradFn | null = null;
  private _requiresGrad: boolean;
  // CPU tensors: _host only. cuda tensors: _dev (GPU values, never written in place once made) and/or
  // _host (the cached download, or a host-computed result waiting for its upload).
  private _host: FloatArray | null;
  private _dev: CudaBuffer | null;
  private readonly _dtype: DType;
  private readonly _numel: number;

  /** Wraps host values (device 'cpu', or 'cuda' to upload them on first GPU use) or a float CudaBuffer (device 'cuda'). */
  constructor(data: FloatArray | CudaBuffer, shape: readonly number[], opts?: { requiresGrad?: boolean; device?: Device }) {
    if (!validShape(shape)) {
      fail('ERR_OT_SHAPE', `tensor: shape must be an array of non-negative integers, got [${Array.isArray(shape) ? shape.join(', ') : String(shape)}]`);
    }
    const count = numel(shape);
    if (count !== data.length) {
      fail('ERR_OT_SHAPE', `tensor: shape [${shape.join(', ')}] holds ${count} values but data has ${data.length}`);
    }
    // A frozen shape is shared as it is (it cannot change), so ops deriving one tensor from another copy nothing.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this._requiresGrad = opts?.requiresGrad ?? false;
    this._numel = count;
    if (data instanceof Float64Array || data instanceof Float32Array) {
      this._host = data;
      this._dev = null;
      this._dtype = dtypeOf(data);
      this.device = opts?.device ?? 'cpu';
    } else {
      if (!isFloatBuffer(data)) fail('ERR_OT_ARG', 'tensor: data must be a Float32Array, Float64Array or a float CudaBuffer');
      this._host = null;
      this._dev = data;
      this._dtype = bufferDType(data);
      this.device = 'cuda';
    }
  }

  /**
   * Row-major values (a typed array in the tensor's dtype). On a cuda tensor the first read copies
   * the values back from the GPU and caches them; writing into that copy does not reach the GPU.
   */
  get data(): FloatArray {
    const h = this._host;
    if (h === null) return this.downloadHost();
    // The array may have been detached (its buffer transferred) or its resizable buffer shrunk since:
    // reading on would give undefined (NaN in arithmetic) or throw a TypeError.
    if (h.length !== this._numel) this.storageLost(h);
    return h;
  }

  private storageLost(h: FloatArray): never {
    const detached = h.byteLength === 0 && this._numel > 0;
    return fail(
      'ERR_OT_VALUE',
      `tensor: its storage ${detached ? 'was detached (its ArrayBuffer transferred)' : 'changed size'}: ` +
        `it holds ${h.length} values, the tensor of shape [${this.shape.join(', ')}] needs ${this._numel}`,
    );
  }

  private downloadHost(): FloatArray {
    const h = download(this._dev!);
    this._host = h;
    return h;
  }

  /** @internal The GPU values of a cuda tensor, uploading a host-computed result on first use. */
  cudaBuffer(): CudaBuffer {
    if (this.device !== 'cuda') fail('ERR_OT_DEVICE', "tensor: a 'cpu' tensor has no GPU buffer");
    if (this._dev === null) this._dev = upload(this._host!);
    return this._dev;
  }

  /** @internal The host values when present without a copy from the GPU (always for CPU tensors). */
  hostCopy(): FloatArray | null {
    return this._host;
  }

  /** @internal After writing into `.data` of a cuda tensor in place: its GPU copy is made again on next use. */
  hostWritten(): void {
    if (this.device === 'cuda' && this._host !== null) this._dev = null;
  }

  /** @internal Identity of the storage (tensors sharing values share it), without copying anything. */
  storageKey(): object {
    return this._host !== null ? this._host.buffer : this._dev!;
  }

  /** @internal The byte range of storageKey() these values occupy (disjoint views of one buffer do not share). */
  storageSpan(): readonly [number, number] {
    const h = this._host;
    return h !== null ? [h.byteOffset, h.byteOffset + h.byteLength] : WHOLE;
  }

  /** Builds a result tensor, recording `gradFn` when any input requires grad. */
  static fromOp(data: FloatArray | CudaBuffer, shape: readonly number[], gradFn: GradFn | null, device: Device = 'cpu'): Tensor {
    let needs = false;
    if (gradFn !== null) for (const t of gradFn.inputs) needs ||= t !== null && t.requiresGrad;
    const t = new Tensor(data, shape, { requiresGrad: needs, device });
    if (needs) t.gradFn = gradFn;
    return t;
  }

  get dtype(): DType {
    return this._dtype;
  }
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return this._numel;
  }
  /** True for tensors created by the user (not by an op): they collect .grad. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Sets requiresGrad in place on a leaf and returns this (torch's requires_grad_). */
  requiresGrad_(flag = true): this {
    if (typeof flag !== 'boolean') fail('ERR_OT_ARG', `requiresGrad_: flag must be a boolean, got ${typeof flag}`);
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
    if (this.device === 'cuda') {
      this.grad = this.grad === null ? Tensor.cudaGradOf(gg, this.shape) : sumOnDevice(this.grad, gg);
      return;
    }
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

  /**
   * The first gradient of a cuda leaf: a cuda tensor sharing g's GPU values (never written in place),
   * else a copy of its host values (so writing into .grad never reaches another tensor).
   */
  private static cudaGradOf(g: Tensor, shape: readonly number[]): Tensor {
    if (g._dev !== null) return new Tensor(g._dev, shape);
    return new Tensor(copyAs(g.data, g.dtype), shape, { device: 'cuda' });
  }

  /** A tensor sharing these values, cut from the graph. */
  detach(): Tensor {
    return this.sharing(this.shape);
  }

  /** A new tensor object on the same storage (host and GPU copies), with another shape. */
  private sharing(shape: readonly number[]): Tensor {
    const t = new Tensor(this._host ?? this._dev!, shape, { device: this.device });
    t._host = this._host;
    t._dev = this._dev;
    return t;
  }

  /** A copy of the values (differentiable, like torch.clone). */
  clone(): Tensor {
    const gradFn: GradFn = { name: 'clone', inputs: [this], backward: (g) => [g] };
    // GPU values are never written in place, so a cuda clone may share them.
    if (this._dev !== null) return Tensor.fromOp(this._dev, this.shape, gradFn);
    return Tensor.fromOp(copyAs(this.data, this.dtype), this.shape, gradFn, this.device);
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
    if (this.device === 'cuda') {
      const t = this.sharing(resolved);
      if (this.requiresGrad) {
        t._requiresGrad = true;
        t.gradFn = { name: 'reshape', inputs: [this], backward: (g) => [g.reshape(inShape)] };
      }
      return t;
    }
    return Tensor.fromOp(this.data, resolved, { name: 'reshape', inputs: [this], backward: (g) => [g.reshape(inShape)] }, this.device);
  }

  /**
   * Converts to a dtype or copies to a device (both differentiable; the same tensor when nothing
   * changes). `.to('cuda')` uploads the values now and throws ERR_OT_DEVICE when no GPU is usable;
   * `.to('cpu')` copies them back.
   * @example
   * const xg = x.to('cuda');        // later ops on xg run on the GPU
   * const back = loss.to('cpu');
   */
  to(target: Device | DType): Tensor {
    if (target === 'float32' || target === 'float64') {
      if (target === this.dtype) return this;
      const src = this.dtype;
      return Tensor.fromOp(copyAs(this.data, target), this.shape, { name: 'to', inputs: [this], backward: (g) => [g.to(src)] }, this.device);
    }
    const dev = checkDevice('to', target);
    if (dev === this.device) return this;
    return this.copyTo(dev, 'to');
  }

  /** @internal `.to(device)` for a device other than this one; errors name `fn`. */
  copyTo(device: Device, fn: string): Tensor {
    const from = this.device;
    const back: GradFn = { name: `to(${device})`, inputs: [this], backward: (g) => [g.device === from ? g : g.copyTo(from, 'backward')] };
    if (device === 'cuda') {
      requireCuda(fn);
      return Tensor.fromOp(upload(this.data), this.shape, back);
    }
    // A fresh host array: the CPU tensor must not share (and later mutate) this tensor's cache.
    const host = this._host !== null ? copyAs(this._host, this.dtype) : download(this._dev!);
    return Tensor.fromOp(host, this.shape, back, 'cpu');
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
    // Its own small node (not unary's closures): `loss.neg()` runs on every step of an optimisation loop.
    const x = this.data;
    const out = allocate(this.dtype, x.length);
    for (let i = 0; i < out.length; i++) out[i] = -x[i]!;
    if (!this.requiresGrad) return new Tensor(out, this.shape, { device: this.device });
    return Tensor.fromOp(out, this.shape, new NegGrad(this), this.device);
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

  /**
   * Matrix product (torch.matmul for 1-d and 2-d operands): [n, k] x [k, m] -> [n, m]; a 1-d operand is
   * a vector (its dim is dropped from the result). Differentiable w.r.t. both.
   * @example const y = W.matmul(x);
   */
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }
  /** Transpose of a 2-d tensor (torch's .t()); a 1-d tensor is returned as it is. */
  t(): Tensor {
    return transpose2d(this);
  }
  /**
   * The entries `indices` along `dim` (torch.index_select; negative indices count from the end), e.g.
   * rows 0 and 2: `x.index(0, [0, 2])`, column 1 of a matrix: `x.index(1, [1])`.
   */
  index(dim: number, indices: readonly number[] | Int32Array): Tensor {
    return indexSelect(this, dim, indices);
  }
  /** Python's x[start:end:step] along `dim` (negative start/end count from the end): `x.slice(0, 10, 20)`. */
  slice(dim: number, start?: number, end?: number, step?: number): Tensor {
    return sliceDim(this, dim, start, end, step);
  }

  /** The values as torch prints them (truncated beyond 1000 entries). */
  toString(): string {
    const extras = [...(this.device === 'cpu' ? [] : [`device='${this.device}'`]), ...(this.requiresGrad ? ['requiresGrad=true'] : [])];
    return formatTensor(this.data, this.shape, this.dtype, extras);
  }

  /** JSON form: { dtype, shape, data } with data as nested arrays (ot.tensor(json.data, { dtype }) rebuilds it). */
  toJSON(): { dtype: DType; shape: number[]; data: NestedArray } {
    return { dtype: this.dtype, shape: [...this.shape], data: this.toArray() };
  }
}

const WHOLE: readonly [number, number] = Object.freeze([0, Infinity]) as readonly [number, number];

/** The gradient of −x. */
class NegGrad implements GradFn {
  readonly name = 'neg';
  readonly inputs: readonly (Tensor | null)[];
  constructor(x: Tensor) {
    this.inputs = [x];
  }
  backward(g: Tensor): (Tensor | null)[] {
    return [g.neg()];
  }
}

function copyAs(src: FloatArray, dtype: DType): FloatArray {
  const out = allocate(dtype, src.length);
  out.set(src);
  return out;
}

/** prev + g for a cuda leaf's .grad, summed on the host (neither operand is modified). */
function sumOnDevice(prev: Tensor, g: Tensor): Tensor {
  const a = prev.data;
  const b = g.data;
  const sum = allocate(prev.dtype, a.length);
  for (let i = 0; i < sum.length; i++) sum[i] = a[i]! + b[i]!;
  return new Tensor(sum, prev.shape, { device: 'cuda' });
}

/** A plain loop (no closure): every tensor made in an optimisation loop passes here. */
function validShape(shape: readonly number[]): boolean {
  if (!Array.isArray(shape)) return false;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isSafeInteger(d) || d! < 0) return false;
  }
  return true;
}
