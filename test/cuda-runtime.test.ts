// The CUDA path on machines without a usable GPU (CI): the addon loads, lists no device, every CUDA
// buffer helper (sync and async) fails cleanly with OTError ERR_OT_DEVICE, each op has one export that
// runs its CPU Job for host arrays, cuda tensors cannot be made, and every public function still works
// on CPU tensors (CPU results).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { addon } from '../lib/native.js';
import { nativeCuda } from '../lib/cuda/native-cuda.js';

const gpuScript = join(dirname(fileURLToPath(import.meta.url)), 'gpu', 'run-gpu-checks.mjs');
const info = addon.backendInfo() as { cudaCompiled: boolean; cudaDevices: unknown[] };
const gpuPresent = info.cudaDevices.length > 0;

const f32 = (n: number) => new Float32Array(n).fill(0.5);
const f64 = (n: number) => new Float64Array(n).fill(0.5);

// Each CUDA export with arguments that are valid apart from the missing device: the buffer helpers (the
// ops have one export each, which runs its CUDA Job only for a CudaBuffer operand, and none can be made here).
const calls: [string, unknown[]][] = [
  ['cudaAlloc', [16, 'float32']],
  ['cudaUpload', [f32(4)]],
  ['cudaDownload', [{}]],
];

// Each op with a GPU Job, and the options field whose device picks it (native/napi/*.cc exportDeviceJob).
const deviceOps: [string, string][] = [
  ['distForward', 'x'], ['distBackward', 'x'], ['distBatch', 'X'], ['distBatchBackward', 'X'], ['sinkhornSolve', 'M'],
  ['sinkhornBackward', 'M'], ['solveBatch', 'M'], ['dualLoss', 'u'], ['dualPlan', 'u'],
];

function expectDeviceError(e: unknown, name: string): void {
  expect(e).toBeInstanceOf(ot.OTError);
  expect((e as ot.OTError).code).toBe('ERR_OT_DEVICE');
  expect((e as ot.OTError).message).toBe(`${name}: no CUDA device available`);
}

const entries = addon as Record<string, (...args: unknown[]) => unknown>;

describe.skipIf(gpuPresent)('CUDA runtime without a GPU', () => {
  it('the addon loads and lists no CUDA device', () => {
    expect(info.cudaDevices).toEqual([]);
    expect(ot.cuda.cudaAvailable()).toBe(false);
    const b = ot.backend();
    expect(b.cuda).toBe(false);
    expect(b.devices.map((d) => d.type)).toEqual(['cpu']);
  });

  it('exports every CUDA entry point with an async twin in this build', () => {
    for (const [name] of calls) {
      expect(typeof entries[name], name).toBe('function');
      expect(typeof entries[`${name}Async`], `${name}Async`).toBe('function');
    }
    // One export per op: the device twins of the ops (cuda*) and their host forms are gone.
    for (const [op] of deviceOps) {
      expect(typeof entries[op], op).toBe('function');
      expect(typeof entries[`${op}Async`], `${op}Async`).toBe('function');
    }
    const gone = ['cudaDist', 'cudaDistDevice', 'cudaDistBatchDevice', 'cudaSinkhornLog', 'cudaSinkhornLogDevice', 'cudaSolveBatchDevice',
      'cudaDistForward', 'cudaDistBackward', 'cudaDistBatch', 'cudaDistBatchBackward', 'cudaSinkhornSolve', 'cudaSinkhornBackward',
      'cudaSolveBatch', 'cudaDualLoss', 'cudaDualLossDevice', 'cudaDualPlan', 'cudaDualPlanDevice'];
    for (const name of gone) {
      expect(entries[name], name).toBeUndefined();
      expect(entries[`${name}Async`], `${name}Async`).toBeUndefined();
    }
    // The device class exists exactly when the kernels are compiled in.
    expect(typeof nativeCuda.CudaBuffer === 'function').toBe(info.cudaCompiled);
  });

  it.each(calls)('%s throws ERR_OT_DEVICE', (name, args) => {
    let caught: unknown = null;
    try {
      entries[name]!(...args);
    } catch (e) {
      caught = e;
    }
    expectDeviceError(caught, name);
  });

  it.each(calls)('%sAsync rejects with ERR_OT_DEVICE', async (name, args) => {
    const p = entries[`${name}Async`]!(...args) as Promise<unknown>;
    expect(p).toBeInstanceOf(Promise);
    let caught: unknown = null;
    await p.catch((e: unknown) => {
      caught = e;
    });
    expectDeviceError(caught, name);
  });

  it.each(deviceOps)('%s runs its CPU Job unless %s is a CudaBuffer', async (op, field) => {
    // A look-alike object is no CudaBuffer (only the addon's tagged objects are): the CPU Job refuses it.
    const fake = { byteLength: 16, length: 2, dtype: 'float64', freed: false, free() {} };
    for (const o of [{ [field]: fake }, { [field]: {} }]) {
      expect(() => entries[op]!(o), op).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG' }));
      await expect(entries[`${op}Async`]!(o), `${op}Async`).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
    }
    // The routing reads the field once before the Job does: a getter's error is thrown (sync) or a rejection (async).
    const boom = Object.defineProperty({}, field, { enumerable: true, get: () => { throw new RangeError('boom'); } });
    expect(() => entries[op]!(boom)).toThrow(RangeError);
    const p = entries[`${op}Async`]!(boom) as Promise<unknown>;
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toThrow(RangeError);
  });

  it('buffer helpers of ot.cuda fail cleanly', async () => {
    expect(() => ot.cuda.toDevice(f32(3))).toThrow(/cudaUpload: no CUDA device available/);
    expect(() => ot.cuda.allocDevice(8, 'float64')).toThrow(/cudaAlloc: no CUDA device available/);
    expect(() => ot.cuda.fromDevice({} as ot.cuda.CudaBuffer)).toThrow(/fromDevice: no CUDA device available/);
    await expect(ot.cuda.toDeviceAsync(f64(2))).rejects.toMatchObject({ code: 'ERR_OT_DEVICE' });
    await expect(ot.cuda.fromDeviceAsync({} as ot.cuda.CudaBuffer)).rejects.toMatchObject({ code: 'ERR_OT_DEVICE' });
    expect(ot.cuda.isCudaBuffer({})).toBe(false);
  });

  it('buffer helpers still validate their own arguments first', () => {
    expect(() => ot.cuda.allocDevice(-1)).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG' }));
    expect(() => ot.cuda.allocDevice(4, 'int8' as ot.cuda.CudaDType)).toThrow(expect.objectContaining({ code: 'ERR_OT_DTYPE' }));
    expect(() => ot.cuda.toDevice([1, 2] as unknown as Float32Array)).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG' }));
  });

  it('the CudaBuffer class cannot be constructed from JS', () => {
    const Cls = nativeCuda.CudaBuffer as unknown as (new () => unknown) | undefined;
    if (!Cls) return; // CPU-only build: no class at all
    expect(() => new Cls()).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG' }));
  });
});

describe('OT_DEVICE=cpu hides any GPU', () => {
  const saved = process.env.OT_DEVICE;
  afterEach(() => {
    if (saved === undefined) delete process.env.OT_DEVICE;
    else process.env.OT_DEVICE = saved;
  });

  it('cudaAvailable is false, buffers cannot be made, and the ops run on the CPU', async () => {
    process.env.OT_DEVICE = 'cpu';
    expect(ot.cuda.cudaAvailable()).toBe(false);
    expect(() => nativeCuda.cudaUpload(f64(2))).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE' }));
    await expect(nativeCuda.cudaAllocAsync(4, 'float64')).rejects.toMatchObject({ code: 'ERR_OT_DEVICE' });
    const M = entries.distForward!({ x: f64(2), y: f64(2), n: 1, m: 1, d: 2, metric: 'sqeuclidean', p: 2, same: false });
    expect(M).toEqual(new Float64Array([0]));
  });

  it('clearing OT_DEVICE restores the native answer', () => {
    process.env.OT_DEVICE = 'cpu';
    expect(ot.cuda.cudaAvailable()).toBe(false);
    delete process.env.OT_DEVICE;
    expect(ot.cuda.cudaAvailable()).toBe(info.cudaCompiled && gpuPresent);
  });
});

describe.skipIf(gpuPresent)('the public API without a GPU', () => {
  const saved = process.env.OT_DEVICE;
  afterEach(() => {
    if (saved === undefined) delete process.env.OT_DEVICE;
    else process.env.OT_DEVICE = saved;
  });

  const noDevice = (fn: string) => expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(new RegExp(`^${fn}: no CUDA device available`)) });

  it.each([undefined, 'cpu'])('cuda tensors cannot be made (OT_DEVICE=%s)', (env) => {
    if (env === undefined) delete process.env.OT_DEVICE;
    else process.env.OT_DEVICE = env;
    expect(() => ot.tensor([1, 2], { device: 'cuda' })).toThrow(noDevice('tensor'));
    expect(() => ot.tensor(new Float32Array(4), { shape: [2, 2], device: 'cuda', requiresGrad: true })).toThrow(noDevice('tensor'));
    expect(() => ot.tensor([[1, 2]]).to('cuda')).toThrow(noDevice('to'));
    expect(() => ot.zeros([3], { device: 'cuda' })).toThrow(noDevice('zeros'));
    expect(() => ot.randn([3], { seed: 1, device: 'cuda' })).toThrow(noDevice('randn'));
    expect(() => ot.tensor([1]).to('gpu' as ot.Device)).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^to: device must be 'cpu' or 'cuda'/) }));
  });

  // Every heavy function on CPU tensors: CPU results and CPU gradients, as before cuda tensors existed.
  const onCpu = (...ts: (ot.Tensor | null)[]) => {
    for (const t of ts) expect(t?.device).toBe('cpu');
  };

  it('dist, solve (every grad mode) and their async twins', async () => {
    const x = ot.rand([6, 2], { seed: 1, requiresGrad: true });
    const y = ot.rand([5, 2], { seed: 2 });
    const M = ot.dist(x, y);
    onCpu(M, await ot.distAsync(x, y, { metric: 'cityblock' }));
    for (const grad of ['autodiff', 'envelope', 'last_step', 'detach'] as const) {
      const res = ot.solve(M, null, null, { reg: 0.1, grad });
      onCpu(res.value, res.valueLinear, res.plan, ...res.potentials);
      if (grad !== 'detach') {
        x.grad = null;
        res.value.backward();
        onCpu(x.grad);
      }
    }
    const r2 = await ot.solveAsync(M.detach(), { reg: 0.1 });
    onCpu(r2.plan);
    expect(r2.value.item()).toBeCloseTo(ot.solve(M.detach(), { reg: 0.1 }).value.item(), 12);
  });

  it('batch and stochastic functions, and Adam', async () => {
    const X = ot.rand([2, 4, 2], { seed: 3, requiresGrad: true });
    const Y = ot.rand([2, 3, 2], { seed: 4 });
    const Mb = ot.batch.distBatch(X, Y);
    onCpu(Mb, await ot.batch.distBatchAsync(X, Y));
    const rb = ot.batch.solveBatch(Mb, { reg: 0.1 });
    onCpu(rb.value, rb.plan, ...rb.potentials);
    rb.value.sum().backward();
    onCpu(X.grad);
    onCpu((await ot.batch.solveBatchAsync(Mb.detach(), { reg: 0.1 })).plan);
    const u = ot.randn([4], { seed: 5, requiresGrad: true });
    const v = ot.randn([3], { seed: 6, requiresGrad: true });
    const xs = ot.rand([4, 2], { seed: 7 });
    const xt = ot.rand([3, 2], { seed: 8 });
    const opt = new ot.optim.Adam([u, v], { lr: 0.1 });
    const before = Array.from(u.data);
    const loss = ot.stochastic.lossDualEntropic(u, v, xs, xt).neg();
    onCpu(loss, await ot.stochastic.lossDualQuadraticAsync(u, v, xs, xt, { reg: 0.1 }));
    loss.backward();
    onCpu(u.grad, v.grad);
    opt.step();
    expect(Array.from(u.data)).not.toEqual(before);
    onCpu(ot.stochastic.planDualEntropic(u, v, xs, xt), await ot.stochastic.planDualQuadraticAsync(u, v, xs, xt, { reg: 0.1 }));
  });
});

describe('npm run test:gpu on a machine without a GPU', () => {
  it.skipIf(gpuPresent)('prints "no GPU: skipped" and exits 0', () => {
    const r = spawnSync(process.execPath, [gpuScript], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^no GPU: skipped( \(the addon was built without CUDA\))?$/);
  });

  // The float64 references the GPU results are judged by must themselves match POT.
  it('its JS references reproduce the POT fixtures (--self-test)', () => {
    const r = spawnSync(process.execPath, [gpuScript, '--self-test'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/(\d+)\/\1 cases passed/);
  }, 130_000);
});
