// Tensor creation: from nested arrays or typed arrays, zeros/ones/full/rand/randn (seeded), arange/linspace.
import { checkOptions, fail, show } from '../core/validate.js';
import { allocate, checkDevice, checkDType, dtypeOf, numel, type Device, type DType, type FloatArray } from './dtype.js';
import { generatorFor } from './random.js';
import { fromNested, Tensor, type NestedArray } from './tensor.js';

export interface TensorOptions {
  /** Scalar type; default float64 for JS numbers, the array's own type for typed arrays. */
  dtype?: DType;
  requiresGrad?: boolean;
  device?: Device;
  /** Shape for flat typed-array data (default: 1-d). */
  shape?: readonly number[];
}

/**
 * Creates a tensor. With `device: 'cuda'` the values are uploaded to the GPU at once (ERR_OT_DEVICE
 * when none is usable); reading `.data` of a cuda tensor copies them back.
 * @example
 * const x = ot.tensor([[0, 1], [2, 3]], { dtype: 'float32', requiresGrad: true });
 * const g = ot.tensor(new Float32Array(600), { shape: [300, 2], device: 'cuda' });
 */
export function tensor(data: NestedArray | FloatArray | Tensor, opts: TensorOptions = {}): Tensor {
  checkOptions('tensor', opts, ['dtype', 'requiresGrad', 'device', 'shape']);
  if (opts.dtype !== undefined) checkDType('tensor', opts.dtype);
  if (opts.shape !== undefined) checkShape('tensor', opts.shape);
  const device = checkDevice('tensor', opts.device ?? 'cpu');
  let t: Tensor;
  if (data instanceof Tensor) {
    t = new Tensor(copyTyped(data.data, opts.dtype ?? data.dtype), opts.shape ?? data.shape);
  } else if (data instanceof Float32Array || data instanceof Float64Array) {
    t = new Tensor(copyTyped(data, opts.dtype ?? dtypeOf(data)), opts.shape ?? [data.length]);
  } else if (ArrayBuffer.isView(data)) {
    return fail('ERR_OT_DTYPE', 'tensor: typed-array data must be a Float32Array or Float64Array');
  } else {
    if (opts.shape !== undefined) fail('ERR_OT_ARG', 'tensor: shape is only accepted with typed-array data');
    t = fromNested(data, opts.dtype ?? 'float64');
  }
  if (device !== 'cpu') t = t.copyTo(device, 'tensor');
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function copyTyped(src: FloatArray, dtype: DType): FloatArray {
  const out = allocate(dtype, src.length);
  out.set(src);
  return out;
}

export interface FillOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  device?: Device;
}
export interface RandomOptions extends FillOptions {
  /** Seed for a private, reproducible stream; without it the global stream (ot.manualSeed) is used. */
  seed?: number;
}

function checkShape(fn: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
    fail('ERR_OT_SHAPE', `${fn}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

function filled(fn: string, shape: readonly number[], opts: RandomOptions, allowed: string[], f: (i: number) => number): Tensor {
  checkOptions(fn, opts, allowed);
  checkShape(fn, shape);
  const dtype = checkDType(fn, opts.dtype ?? 'float64');
  const device = checkDevice(fn, opts.device ?? 'cpu');
  const data = allocate(dtype, numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(i);
  let t = new Tensor(data, shape);
  if (device !== 'cpu') t = t.copyTo(device, fn);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

const FILL_KEYS = ['dtype', 'requiresGrad', 'device'];
const RANDOM_KEYS = [...FILL_KEYS, 'seed'];

/** @example ot.zeros([3, 2]) */
export function zeros(shape: readonly number[], opts: FillOptions = {}): Tensor {
  return filled('zeros', shape, opts, FILL_KEYS, () => 0);
}
/** @example ot.ones([4]) */
export function ones(shape: readonly number[], opts: FillOptions = {}): Tensor {
  return filled('ones', shape, opts, FILL_KEYS, () => 1);
}
/** @example ot.full([2, 2], 0.5) */
export function full(shape: readonly number[], value: number, opts: FillOptions = {}): Tensor {
  if (typeof value !== 'number') fail('ERR_OT_ARG', `full: value must be a number, got ${show(value)}`);
  return filled('full', shape, opts, FILL_KEYS, () => value);
}
/** Uniform values in [0, 1). @example ot.rand([300, 5], { seed: 0, dtype: 'float32' }) */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  const g = generatorFor(opts.seed);
  return filled('rand', shape, opts, RANDOM_KEYS, () => g.random());
}
/** Standard normal values. @example ot.randn([100], { seed: 1, requiresGrad: true }) */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  const g = generatorFor(opts.seed);
  return filled('randn', shape, opts, RANDOM_KEYS, () => g.normal());
}

/**
 * start, start + step, … below end (torch.arange; one argument: 0 … end - 1). Float64 unless dtype is given.
 * @example ot.arange(5)            // [0, 1, 2, 3, 4]
 * @example ot.arange(0, 1, 0.25)   // [0, 0.25, 0.5, 0.75]
 */
export function arange(start: number, end?: number, step = 1, opts: FillOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  for (const [name, v] of [['start', lo], ['end', hi], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail('ERR_OT_ARG', `arange: ${name} must be a finite number, got ${show(v)}`);
  }
  if (step === 0) fail('ERR_OT_VALUE', 'arange: step must be non-zero');
  const count = Math.max(0, Math.ceil((hi - lo) / step));
  return filled('arange', [count], opts, FILL_KEYS, (i) => lo + i * step);
}

/**
 * `steps` evenly spaced values from start to end, both included (torch.linspace).
 * @example ot.linspace(0, 1, 5)   // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, end: number, steps: number, opts: FillOptions = {}): Tensor {
  for (const [name, v] of [['start', start], ['end', end]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail('ERR_OT_ARG', `linspace: ${name} must be a finite number, got ${show(v)}`);
  }
  if (!Number.isSafeInteger(steps) || steps < 0) fail('ERR_OT_ARG', `linspace: steps must be an integer >= 0, got ${show(steps)}`);
  const h = steps > 1 ? (end - start) / (steps - 1) : 0;
  // The last value is end exactly (not start + (steps - 1) h, which may round off it).
  return filled('linspace', [steps], opts, FILL_KEYS, (i) => (i === steps - 1 ? end : start + i * h));
}
