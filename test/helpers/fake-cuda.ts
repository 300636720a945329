// A CPU stand-in for the addon's exports on the GPU (lib/cuda/native-cuda.ts), for testing the facades' cuda
// branches without a GPU: FakeBuffer holds host values. As the addon does, each op's one export picks its
// device by the op's main array (M, x, X, u): a FakeBuffer there runs the fake GPU Job, which computes
// with the CPU addon and the float64 references of test/gpu/reference.mjs (the GPU checks hold the real
// kernels to the same references); a host array runs the real addon's CPU Job. Every call is logged with
// which fields arrived as device buffers.
import type { CudaBuffer, CudaDType, NativeCuda } from '../../lib/cuda/native-cuda.js';
import { nativeCosts, type NativeMetric } from '../../lib/backend/native-costs.js';
import { addon } from '../../lib/native.js';
import type { FloatArray } from '../../lib/tensor/dtype.js';
import { batchSolveRef, dualRef, sinkhornBackwardRef, sinkhornSolveRef } from '../gpu/reference.mjs';

type Host = FloatArray | Int32Array | Uint8Array;

export class FakeBuffer implements CudaBuffer {
  private values: Host | null;
  readonly byteLength: number;
  readonly length: number;
  readonly dtype: CudaDType;
  constructor(values: Host) {
    this.values = values;
    this.byteLength = values.byteLength;
    this.length = values.length;
    this.dtype = values instanceof Float32Array ? 'float32' : values instanceof Float64Array ? 'float64' : values instanceof Int32Array ? 'int32' : 'uint8';
  }
  get freed(): boolean {
    return this.values === null;
  }
  free(): void {
    this.values = null;
  }
  host(): Host {
    if (this.values === null) throw new Error('FakeBuffer: used after free()');
    return this.values;
  }
}

/**
 * One logged call: the entry point and which arguments were device buffers or host float arrays, by
 * position for the positional buffer helpers and by field name for the ops' options objects.
 */
export interface FakeCall {
  name: string;
  deviceArgs: (number | string)[];
  hostArgs: (number | string)[];
}

export const fake = {
  available: true,
  calls: [] as FakeCall[],
  uploads: 0,
  downloads: 0,
  reset(): void {
    this.available = true;
    this.calls = [];
    this.uploads = 0;
    this.downloads = 0;
  },
  /** The calls made to `name`. */
  callsTo(name: string): FakeCall[] {
    return this.calls.filter((c) => c.name === name);
  },
};

function log(name: string, args: unknown[] | Record<string, unknown>): void {
  if (!fake.available) throw Object.assign(new Error(`${name}: no CUDA device available`), { code: 'ERR_OT_DEVICE' });
  const deviceArgs: (number | string)[] = [];
  const hostArgs: (number | string)[] = [];
  const entries: [number | string, unknown][] = Array.isArray(args) ? args.map((a, i) => [i, a]) : Object.entries(args);
  for (const [k, a] of entries) {
    if (a instanceof FakeBuffer) deviceArgs.push(k);
    else if (a instanceof Float32Array || a instanceof Float64Array) hostArgs.push(k);
  }
  fake.calls.push({ name, deviceArgs, hostArgs });
}

function vals(op: unknown): FloatArray {
  if (op instanceof FakeBuffer) return op.host() as FloatArray;
  if (op instanceof Float32Array || op instanceof Float64Array) return op;
  throw new Error(`fake cuda: expected a FakeBuffer or a float typed array, got ${String(op)}`);
}
const f64 = (op: unknown): Float64Array => Float64Array.from(vals(op));
const optVals = (op: unknown): FloatArray | null => (op === null || op === undefined ? null : vals(op));
const opt64 = (op: unknown): Float64Array | null => (op === null || op === undefined ? null : f64(op));
const f32 = (like: unknown): boolean => vals(like) instanceof Float32Array;
function out(like: unknown, values: ArrayLike<number>): FakeBuffer {
  return new FakeBuffer(f32(like) ? Float32Array.from(values) : Float64Array.from(values));
}
function hostOut(like: unknown, values: ArrayLike<number>): FloatArray {
  return f32(like) ? Float32Array.from(values) : Float64Array.from(values);
}
const uniform = (len: number): Float64Array => new Float64Array(len).fill(1 / len);
/** Weights as the bindings stage them: in M's precision (host float64 weights of a float32 M are rounded), `dflt` when absent. */
function weights(w: unknown, M: unknown, dflt: Float64Array): Float64Array {
  if (w === null || w === undefined) return f32(M) ? Float64Array.from(Float32Array.from(dflt)) : dflt;
  return f32(M) ? Float64Array.from(Float32Array.from(vals(w))) : f64(w);
}

// An options object as the bindings read it (fields are checked by the real addon, not here).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Opts = Record<string, any>;
const dims = (o: Opts) => ({ B: o.B as number, n: o.n as number, m: o.m as number, d: o.d as number });
const distHead = (o: Opts) => ({ n: o.n as number, m: o.m as number, d: o.d as number, metric: o.metric as NativeMetric, p: o.p as number, same: Boolean(o.same) });

/**
 * An op's one export and its Async twin: the fake GPU Job when the options' `main` field is a FakeBuffer
 * (as the addon routes a CudaBuffer), else the real addon's CPU Job. Both kinds of call are logged.
 */
function op(name: string, main: string, run: (o: Opts) => unknown): [string, Fn][] {
  const route = (o: Opts, cpu: (o: Opts) => unknown) => {
    const onDevice = o?.[main] instanceof FakeBuffer;
    if (!onDevice) {
      fake.calls.push({ name, deviceArgs: [], hostArgs: [] });
      return cpu(o);
    }
    log(name, o);
    return run(o);
  };
  const sync = (o: Opts) => route(o, (x) => (addon[name] as (x: Opts) => unknown)(x));
  const async = (o: Opts) => {
    try {
      return Promise.resolve(route(o, (x) => (addon[`${name}Async`] as (x: Opts) => unknown)(x)));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return [[name, sync], [`${name}Async`, async]];
}
const fail = (code: string, message: string): never => {
  throw Object.assign(new Error(message), { code });
};
/** The dual problem of cuda.cc's DualArgs: n and m are u's and v's lengths; squared Euclidean only. */
function dualProblem(o: Opts) {
  if (o.metric !== 'sqeuclidean') fail('ERR_OT_DEVICE', `lossDual: metric '${String(o.metric)}' is not available on the GPU`);
  return dualRef(f64(o.u), f64(o.v), f64(o.xs), f64(o.xt), opt64(o.ws), opt64(o.wt), vals(o.u).length, vals(o.v).length, o.d, o.reg, o.kind);
}

type Fn = (...args: never[]) => unknown;
const impl: Record<string, Fn> = {
  cudaUpload: (data: Host) => {
    log('cudaUpload', [data]);
    fake.uploads++;
    return new FakeBuffer(data.slice());
  },
  cudaDownload: (buf: FakeBuffer) => {
    log('cudaDownload', []);
    fake.downloads++;
    return buf.host().slice();
  },
  cudaAlloc: (length: number, dtype: CudaDType = 'float32') => {
    log('cudaAlloc', []);
    return new FakeBuffer(dtype === 'float64' ? new Float64Array(length) : new Float32Array(length));
  },

  // The ops' GPU Jobs: the CPU bindings' fields in and out (native/napi/cuda*.cc), results as
  // FakeBuffers, the native host code's value / status / n_iter / history packing as reference.mjs's.
  ...Object.fromEntries([
    ...op('distForward', 'x', (o) => {
      const hx = f64(o.x);
      return out(o.x, nativeCosts.distForward({ ...distHead(o), x: hx, y: o.same ? hx : f64(o.y) }));
    }),
    ...op('distBackward', 'x', (o) => {
      const hx = f64(o.x);
      const head = { ...distHead(o), x: hx, y: o.same ? hx : f64(o.y) };
      const M = nativeCosts.distForward(head);
      const [gx, gy] = nativeCosts.distBackward({ ...head, M, G: f64(o.G), needX: o.needX as boolean, needY: o.needY as boolean });
      return [gx && out(o.x, gx), gy && out(o.x, gy)];
    }),
    ...op('distBatch', 'X', (o) => {
      const { B, n, m, d } = dims(o);
      const x = f64(o.X);
      const y = o.Y === null ? x : f64(o.Y);
      const M = new Float64Array(B * n * m);
      for (let k = 0; k < B; k++) {
        M.set(nativeCosts.distForward({ ...distHead(o), x: x.subarray(k * n * d, (k + 1) * n * d), y: y.subarray(k * m * d, (k + 1) * m * d), same: false }), k * n * m);
      }
      return out(o.X, M);
    }),
    ...op('distBatchBackward', 'X', (o) => {
      const { B, n, m, d } = dims(o);
      const x = f64(o.X);
      const y = o.Y === null ? x : f64(o.Y);
      const g = f64(o.G);
      const gX = new Float64Array(B * n * d);
      const gY = new Float64Array(B * m * d);
      for (let k = 0; k < B; k++) {
        const head = { ...distHead(o), x: x.subarray(k * n * d, (k + 1) * n * d), y: y.subarray(k * m * d, (k + 1) * m * d), same: false };
        const M = nativeCosts.distForward(head);
        const [gx, gy] = nativeCosts.distBackward({ ...head, M, G: g.subarray(k * n * m, (k + 1) * n * m), needX: true, needY: true });
        gX.set(gx!, k * n * d);
        gY.set(gy!, k * m * d);
      }
      return { ...(o.wantX ? { gX: out(o.X, gX) } : {}), ...(o.wantY ? { gY: out(o.X, gY) } : {}) };
    }),
    ...op('sinkhornSolve', 'M', (o) => {
      const { n, m } = dims(o);
      const r = sinkhornSolveRef(f64(o.M), weights(o.a, o.M, uniform(n)), weights(o.b, o.M, uniform(m)), n, m, o.reg, o.regType, o.maxIter, o.tol, o.record);
      return {
        plan: out(o.M, r.plan), logU: out(o.M, r.logU), logV: out(o.M, r.logV), value: r.value, valueLinear: r.valueLinear,
        nIter: r.nIter, status: r.status, iterations: r.iterations, ...(r.history ? { history: out(o.M, r.history) } : {}),
      };
    }),
    ...op('sinkhornBackward', 'M', (o) => {
      const { n, m } = dims(o);
      if (o.lastStep && o.iterations !== 1) fail('ERR_OT_ARG', `solve (backward): a last_step record holds one iteration, got iterations = ${String(o.iterations)}`);
      const g = sinkhornBackwardRef(f64(o.M), weights(o.a, o.M, uniform(n)), weights(o.b, o.M, uniform(m)), n, m, o.reg, o.regType, {
        ...o, history: f64(o.history), gPlan: opt64(o.gPlan), gLogU: opt64(o.gLogU), gLogV: opt64(o.gLogV),
      });
      return [o.needM ? out(o.M, g.dM) : null, out(o.M, g.da), out(o.M, g.db)];
    }),
    ...op('solveBatch', 'M', (o) => {
      const { B, n, m } = dims(o);
      if (o.record !== 'none') fail('ERR_OT_DEVICE', `solveBatch: record '${String(o.record)}' is not available on the GPU`);
      const r = batchSolveRef(f64(o.M), weights(o.a, o.M, uniform(B * n).fill(1 / n)), weights(o.b, o.M, uniform(B * m).fill(1 / m)), B, n, m, o.reg,
        o.regType, o.maxIter, o.tol, o.solver, o.stopRule === 'problem' ? 'each' : 'batch');
      const values = hostOut(o.M, [...r.value, ...r.valueLinear]);
      return { plan: out(o.M, r.plan), pot0: out(o.M, r.pot0), pot1: out(o.M, r.pot1), values, status: r.status, iters: r.iters, nIter: r.nIter };
    }),
    // dualLoss's `want` bits: u 1, v 2, xs 4, xt 8, ws 16, wt 32 (lib/backend/native-dual.ts WANT).
    ...op('dualLoss', 'u', (o) => {
      const r = dualProblem(o);
      const want = (bit: number, g: ArrayLike<number>) => (o.want & bit ? out(o.u, g) : null);
      return {
        loss: r.loss, du: want(1, r.du), dv: want(2, r.dv), dxs: want(4, r.dxs), dxt: want(8, r.dxt), dws: want(16, r.dws), dwt: want(32, r.dwt),
      };
    }),
    ...op('dualPlan', 'u', (o) => out(o.u, dualProblem(o).plan)),
    // The 1-D and sliced Jobs (napi/cuda_oned.cc): the CPU Job on the host values, the gradients as buffers.
    ...op('wasserstein1d', 'u', (o) => {
      const r = (addon.wasserstein1d as (x: Opts) => Opts)({ ...o, u: vals(o.u), v: vals(o.v), uWeights: optVals(o.uWeights), vWeights: optVals(o.vWeights) });
      return { value: r.value as Float64Array, gradU: r.gradU && new FakeBuffer(r.gradU as FloatArray), gradV: r.gradV && new FakeBuffer(r.gradV as FloatArray) };
    }),
    ...op('slicedWasserstein', 'xS', (o) => {
      const r = (addon.slicedWasserstein as (x: Opts) => Opts)({
        ...o, xS: vals(o.xS), xT: vals(o.xT), a: optVals(o.a), b: optVals(o.b), projections: vals(o.projections),
      });
      return { ...r, gradS: r.gradS && new FakeBuffer(r.gradS as FloatArray), gradT: r.gradT && new FakeBuffer(r.gradT as FloatArray) };
    }),
    // The CPU kernel on host copies, in the points' dtype (the GPU kernel's schedule and fields are the CPU's).
    ...op('lazySinkhorn', 'x', (o) => {
      const host = (v: unknown) => (v === null || v === undefined ? null : vals(v));
      const r = (addon.lazySinkhorn as (x: Opts) => Opts)({ ...o, x: vals(o.x), y: vals(o.y), a: host(o.a), b: host(o.b) });
      return { ...r, gradX: r.gradX && out(o.x, r.gradX), gradY: r.gradY && out(o.x, r.gradY) };
    }),
  ]),
};

// The buffer helpers' Async twins resolve with the sync result.
const asyncs: Record<string, Fn> = {};
for (const [name, f] of Object.entries(impl)) {
  if (name.endsWith('Async') || `${name}Async` in impl) continue;
  asyncs[`${name}Async`] = (...args: never[]) => {
    try {
      return Promise.resolve(f(...args));
    } catch (e) {
      return Promise.reject(e);
    }
  };
}

/** The fake module's `nativeCuda`. */
export const fakeCuda = {
  cudaAvailable: () => fake.available,
  CudaBuffer: FakeBuffer,
  ...impl,
  ...asyncs,
} as unknown as NativeCuda;
