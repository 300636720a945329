// A CPU stand-in for the addon's CUDA exports (lib/cuda/native-cuda.ts), for testing the facades' cuda
// branches without a GPU: FakeBuffer holds host values, the kernels compute with the CPU addon and the
// float64 references of test/gpu/reference.mjs (the GPU checks hold the real kernels to the same
// references), and every call is logged with which operands arrived as device buffers.
import type { CudaBuffer, CudaDType, NativeCuda } from '../../lib/cuda/native-cuda.js';
import { nativeCosts, type NativeMetric } from '../../lib/backend/native-costs.js';
import type { FloatArray } from '../../lib/tensor/dtype.js';
import { batchRef, dualRef, sinkhornAdjointRef, sinkhornLogRef } from '../gpu/reference.mjs';

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

/** One logged call: the entry point and, per argument position, whether it was a device buffer. */
export interface FakeCall {
  name: string;
  deviceArgs: number[];
  hostArgs: number[];
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

function log(name: string, args: unknown[]): void {
  if (!fake.available) throw Object.assign(new Error(`${name}: no CUDA device available`), { code: 'ERR_OT_DEVICE' });
  const deviceArgs: number[] = [];
  const hostArgs: number[] = [];
  args.forEach((a, i) => {
    if (a instanceof FakeBuffer) deviceArgs.push(i);
    else if (a instanceof Float32Array || a instanceof Float64Array) hostArgs.push(i);
  });
  fake.calls.push({ name, deviceArgs, hostArgs });
}

function vals(op: unknown): FloatArray {
  if (op instanceof FakeBuffer) return op.host() as FloatArray;
  if (op instanceof Float32Array || op instanceof Float64Array) return op;
  throw new Error(`fake cuda: expected a FakeBuffer or a float typed array, got ${String(op)}`);
}
const f64 = (op: unknown): Float64Array => Float64Array.from(vals(op));
const opt64 = (op: unknown): Float64Array | null => (op === null || op === undefined ? null : f64(op));
const f32 = (like: unknown): boolean => vals(like) instanceof Float32Array;
function out(like: unknown, values: ArrayLike<number>): FakeBuffer {
  return new FakeBuffer(f32(like) ? Float32Array.from(values) : Float64Array.from(values));
}
function hostOut(like: unknown, values: ArrayLike<number>): FloatArray {
  return f32(like) ? Float32Array.from(values) : Float64Array.from(values);
}
const uniform = (len: number): Float64Array => new Float64Array(len).fill(1 / len);

function device<T>(name: string, args: unknown[], run: () => T): T {
  log(name, args);
  return run();
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
  cudaAlloc: (length: number, dtype: CudaDType = 'float32') =>
    device('cudaAlloc', [], () => new FakeBuffer(dtype === 'float64' ? new Float64Array(length) : new Float32Array(length))),

  cudaDistDevice: (...a: [unknown, unknown, number, number, number, NativeMetric, number, boolean]) =>
    device('cudaDistDevice', a, () => {
      const [x, y, n, m, d, metric, p, same] = a;
      const hx = f64(x);
      return out(x, nativeCosts.distForward({ x: hx, y: same ? hx : f64(y), n, m, d, metric, p, same }));
    }),
  cudaDistBackwardDevice: (...a: [unknown, unknown, number, number, number, NativeMetric, number, boolean, unknown, boolean, boolean]) =>
    device('cudaDistBackwardDevice', a, () => {
      const [x, y, n, m, d, metric, p, same, G, needX, needY] = a;
      const hx = f64(x);
      const hy = same ? hx : f64(y);
      const head = { x: hx, y: hy, n, m, d, metric, p, same };
      const M = nativeCosts.distForward(head);
      const [gx, gy] = nativeCosts.distBackward({ ...head, M, G: f64(G), needX, needY });
      return [gx && out(x, gx), gy && out(x, gy)];
    }),
  cudaDistBatchDevice: (...a: [unknown, unknown, number, number, number, number, NativeMetric, number]) =>
    device('cudaDistBatchDevice', a, () => {
      const [X, Y, B, n, m, d, metric, p] = a;
      const [x, y] = [f64(X), f64(Y)];
      const M = new Float64Array(B * n * m);
      for (let k = 0; k < B; k++) {
        M.set(nativeCosts.distForward({ x: x.subarray(k * n * d, (k + 1) * n * d), y: y.subarray(k * m * d, (k + 1) * m * d), n, m, d, metric, p, same: false }), k * n * m);
      }
      return out(X, M);
    }),
  cudaDistBatchBackwardDevice: (...a: [unknown, unknown, number, number, number, number, NativeMetric, number, unknown, boolean, boolean]) =>
    device('cudaDistBatchBackwardDevice', a, () => {
      const [X, Y, B, n, m, d, metric, p, G, needX, needY] = a;
      const [x, y, g] = [f64(X), f64(Y), f64(G)];
      const gX = new Float64Array(B * n * d);
      const gY = new Float64Array(B * m * d);
      for (let k = 0; k < B; k++) {
        const xk = x.subarray(k * n * d, (k + 1) * n * d);
        const yk = y.subarray(k * m * d, (k + 1) * m * d);
        const head = { x: xk, y: yk, n, m, d, metric, p, same: false };
        const M = nativeCosts.distForward(head);
        const [gx, gy] = nativeCosts.distBackward({ ...head, M, G: g.subarray(k * n * m, (k + 1) * n * m), needX: true, needY: true });
        gX.set(gx!, k * n * d);
        gY.set(gy!, k * m * d);
      }
      return [needX ? out(X, gX) : null, needY ? out(X, gY) : null];
    }),

  cudaSinkhornLogDevice: (...a: [unknown, unknown, unknown, number, number, number, number, number, Record<string, unknown>?]) =>
    device('cudaSinkhornLogDevice', [...a.slice(0, 8), a[8]?.u0, a[8]?.v0], () => {
      const [M, A, B, n, m, reg, maxIter, tol, o = {}] = a;
      const r = sinkhornLogRef(f64(M), opt64(A) ?? uniform(n), opt64(B) ?? uniform(m), n, m, reg, maxIter, tol, opt64(o.u0), opt64(o.v0));
      const flat = (rows: Float64Array[]) => rows.flatMap((x) => Array.from(x));
      return {
        logU: out(M, r.logU), logV: out(M, r.logV), plan: o.plan === false ? null : out(M, r.plan),
        historyU: o.history ? out(M, flat(r.histU)) : null, historyV: o.history ? out(M, flat(r.histV)) : null,
        nIter: r.nIter, status: r.status, err: r.err, valueLinear: r.valueLinear, entropy: r.entropy, kl: r.kl,
      };
    }),
  cudaSinkhornLogAdjointDevice: (...a: [unknown, unknown, unknown, number, number, number, unknown, unknown, number, Record<string, unknown>?]) =>
    device('cudaSinkhornLogAdjointDevice', [...a.slice(0, 9), a[9]?.gPlan, a[9]?.gLogU, a[9]?.gLogV, a[9]?.v0], () => {
      const [M, A, B, n, m, reg, hU, hV, K, cot = {}] = a;
      const hu = f64(hU);
      const hv = f64(hV);
      const U = Array.from({ length: K + 1 }, (_, k) => hu.subarray(k * n, (k + 1) * n));
      const V = Array.from({ length: K }, (_, k) => hv.subarray(k * m, (k + 1) * m));
      const c = { ...cot, gPlan: opt64(cot.gPlan), gLogU: opt64(cot.gLogU), gLogV: opt64(cot.gLogV), v0: opt64(cot.v0) ?? undefined };
      const g = sinkhornAdjointRef(f64(M), opt64(A) ?? uniform(n), opt64(B) ?? uniform(m), n, m, reg, U, V, K, c);
      return { dM: out(M, g.dM), da: out(M, g.da), db: out(M, g.db) };
    }),
  cudaSolveBatchDevice: (...a: [unknown, unknown, unknown, number, number, number, number, number, number, string, Record<string, unknown>?]) =>
    device('cudaSolveBatchDevice', a, () => {
      const [M, A, Bw, B, n, m, reg, maxIter, tol, solver, o = {}] = a;
      const r = batchRef(f64(M), opt64(A) ?? uniform(B * n).fill(1 / n), opt64(Bw) ?? uniform(B * m).fill(1 / m), B, n, m, reg,
        maxIter, tol, solver, o.stop ?? 'batch');
      return {
        u: out(M, r.u), v: out(M, r.v), plan: o.plan === false ? null : out(M, r.plan),
        valueLinear: hostOut(M, r.valueLinear), entropy: hostOut(M, r.entropy), kl: hostOut(M, r.kl), err: hostOut(M, r.err),
        nIter: r.nIter, converged: r.converged, status: r.converged.every((c: number) => c === 1) ? 'converged' : 'max_iter',
      };
    }),
  cudaDualLossDevice: (...a: [unknown, unknown, unknown, unknown, unknown, unknown, number, number, number, number, string, Record<string, boolean>?]) =>
    device('cudaDualLossDevice', a, () => {
      const [u, v, xs, xt, ws, wt, n, m, d, reg, kind, need = {}] = a;
      const r = dualRef(f64(u), f64(v), f64(xs), f64(xt), opt64(ws), opt64(wt), n, m, d, reg, kind);
      const want = (k: string, dflt: boolean) => need[k] ?? dflt;
      return {
        loss: r.loss,
        du: want('du', true) ? out(u, r.du) : null, dv: want('dv', true) ? out(u, r.dv) : null,
        dxs: want('dxs', true) ? out(u, r.dxs) : null, dxt: want('dxt', true) ? out(u, r.dxt) : null,
        dws: want('dws', false) ? out(u, r.dws) : null, dwt: want('dwt', false) ? out(u, r.dwt) : null,
      };
    }),
  cudaDualPlanDevice: (...a: [unknown, unknown, unknown, unknown, unknown, unknown, number, number, number, number, string]) =>
    device('cudaDualPlanDevice', a, () => {
      const [u, v, xs, xt, ws, wt, n, m, d, reg, kind] = a;
      return out(u, dualRef(f64(u), f64(v), f64(xs), f64(xt), opt64(ws), opt64(wt), n, m, d, reg, kind).plan);
    }),
};

// Async twins resolve with the sync result (a trailing cancel flag is accepted and ignored).
const asyncs: Record<string, Fn> = {};
for (const [name, f] of Object.entries(impl)) {
  asyncs[`${name}Async`] = (...args: never[]) => {
    try {
      return Promise.resolve(f(...args));
    } catch (e) {
      return Promise.reject(e);
    }
  };
}

/** The fake module's `nativeCuda`: host forms of the kernels are deliberately absent (the facades use device forms). */
export const fakeCuda = {
  cudaAvailable: () => fake.available,
  CudaBuffer: FakeBuffer,
  ...impl,
  ...asyncs,
} as unknown as NativeCuda;
