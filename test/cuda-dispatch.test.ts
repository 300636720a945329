// The facades' cuda branches on a machine without a GPU: lib/cuda/native-cuda.ts is replaced by a CPU
// stand-in (helpers/fake-cuda.ts) so cuda tensors can exist. Each heavy function must hand device
// buffers to the device entry points, return cuda tensors (gradients of cuda inputs included), and
// agree with the CPU path in values and gradients.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose } from './helpers/fixtures.js';
import { fake, FakeBuffer } from './helpers/fake-cuda.js';
import { nativeCuda } from '../lib/cuda/native-cuda.js';

vi.mock('../lib/cuda/native-cuda.js', async () => ({ nativeCuda: (await import('./helpers/fake-cuda.js')).fakeCuda }));

const TOL = { rel: 1e-9, abs: 1e-12 };
const TOL32 = { rel: 1e-4, abs: 1e-6 };
type T = ot.Tensor;

beforeEach(() => fake.reset());

function expectCuda(t: T | null, what: string): void {
  expect(t, what).not.toBeNull();
  expect(t!.device, what).toBe('cuda');
}

/** The same leaf on both devices: [cpu, cuda]. */
function pair(data: ot.Tensor, requiresGrad = true): [T, T] {
  const cpu = ot.tensor(data, { requiresGrad });
  const cuda = ot.tensor(data, { device: 'cuda', requiresGrad });
  return [cpu, cuda];
}

function deviceArgs(name: string, k = 0): (number | string)[] {
  const c = fake.callsTo(name)[k];
  expect(c, `${name} was called`).toBeDefined();
  return c!.deviceArgs;
}

describe('cuda tensors', () => {
  it('are created on the GPU, read back once, and moved both ways', () => {
    const x = ot.tensor([[1, 2], [3, 4]], { device: 'cuda' });
    expect(x.device).toBe('cuda');
    expect(x.dtype).toBe('float64');
    expect(x.numel).toBe(4);
    expect(fake.uploads).toBe(1);
    expect(fake.downloads).toBe(0);
    expect(x.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4]);
    expect(fake.downloads).toBe(1); // cached after the first read
    const back = x.to('cpu');
    expect(back.device).toBe('cpu');
    expect(back.data).not.toBe(x.data);
    expect(x.to('cuda')).toBe(x);
    expect(ot.zeros([3], { device: 'cuda', dtype: 'float32' }).device).toBe('cuda');
  });

  it('reject creation and .to("cuda") with ERR_OT_DEVICE when no GPU is usable', () => {
    fake.available = false;
    expect(() => ot.tensor([1, 2], { device: 'cuda' })).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^tensor: no CUDA device available/) }));
    expect(() => ot.tensor([1, 2]).to('cuda')).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^to: no CUDA device available/) }));
    expect(() => ot.rand([2], { device: 'cuda' })).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^rand: /) }));
  });

  it('run elementwise ops on the host copy and stay cuda; reshape shares the GPU buffer', () => {
    const x = ot.tensor([1, 2, 3, 4], { device: 'cuda', requiresGrad: true });
    const y = x.mul(2).add(1).exp().sum();
    expect(y.device).toBe('cuda');
    expect(y.item()).toBeCloseTo([3, 5, 7, 9].reduce((s, v) => s + Math.exp(v), 0), 9);
    y.backward();
    expectCuda(x.grad, 'x.grad');
    expectClose(x.grad!.data, [3, 5, 7, 9].map((v) => 2 * Math.exp(v)), TOL, 'x.grad');
    const before = fake.uploads;
    const r = ot.tensor([1, 2, 3, 4, 5, 6], { device: 'cuda' }).reshape([2, 3]);
    expect(r.device).toBe('cuda');
    expect(r.shape).toEqual([2, 3]);
    expect(fake.uploads).toBe(before + 1);
  });

  it('differentiate through .to() in both directions', () => {
    const x = ot.tensor([1, 2, 3], { requiresGrad: true });
    x.to('cuda').mul(x.to('cuda')).sum().backward();
    expect(x.grad!.device).toBe('cpu');
    expect(Array.from(x.grad!.data)).toEqual([2, 4, 6]);
    const g = ot.tensor([1, 2], { device: 'cuda', requiresGrad: true });
    g.to('cpu').mul(3).sum().backward();
    expectCuda(g.grad, 'g.grad');
    expect(Array.from(g.grad!.data)).toEqual([3, 3]);
  });

  it('pass GPU out-of-memory through as ERR_OT_OOM', () => {
    const spy = vi.spyOn(nativeCuda, 'cudaUpload').mockImplementation(() => {
      throw new ot.OTError('cudaUpload: out of memory', 'ERR_OT_OOM');
    });
    try {
      expect(() => ot.tensor([1, 2], { device: 'cuda' })).toThrow(expect.objectContaining({ code: 'ERR_OT_OOM' }));
    } finally {
      spy.mockRestore();
    }
  });
});

describe('ot.dist on cuda tensors', () => {
  const xs = ot.rand([7, 3], { seed: 1 });
  const xt = ot.rand([5, 3], { seed: 2 });
  const W = ot.rand([7, 5], { seed: 3 });

  it.each(['sqeuclidean', 'euclidean', 'cityblock', 'minkowski', 'chebyshev', 'cosine'] as const)('%s: device buffers in, cuda M and gradients out, CPU values', (metric) => {
    const [x, xg] = pair(xs);
    const [y, yg] = pair(xt);
    const opts = { metric, p: 3 };
    const M = ot.dist(x, y, opts);
    const Mg = ot.dist(xg, yg, opts);
    expectCuda(Mg, 'M');
    expect(deviceArgs('distForward')).toEqual(['x', 'y']);
    expectClose(Mg.data, M.data, TOL, 'M');
    M.mul(W).sum().backward();
    Mg.mul(W).sum().backward();
    const back = fake.callsTo('distBackward')[0]!;
    expect(back.deviceArgs).toEqual(expect.arrayContaining(['x', 'y']));
    expectCuda(xg.grad, 'x.grad');
    expectCuda(yg.grad, 'y.grad');
    expectClose(xg.grad!.data, x.grad!.data, TOL, 'x.grad');
    expectClose(yg.grad!.data, y.grad!.data, TOL, 'y.grad');
  });

  it('y = x, float32, and the async twin', async () => {
    const x = ot.tensor(xs, { dtype: 'float32', device: 'cuda', requiresGrad: true });
    const M = await ot.distAsync(x, { metric: 'euclidean' });
    expectCuda(M, 'M');
    expect(M.dtype).toBe('float32');
    expectClose(M.data, ot.dist(ot.tensor(xs, { dtype: 'float32' }), { metric: 'euclidean' }).data, TOL32, 'M');
    M.sum().backward();
    expectCuda(x.grad, 'x.grad');
    const ac = new AbortController();
    ac.abort();
    await expect(ot.distAsync(x, { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
  });

  it('mixed devices are ERR_OT_DEVICE naming the argument', () => {
    const x = ot.tensor(xs, { device: 'cuda' });
    expect(() => ot.dist(x, xt)).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^dist: y is on 'cpu' but x is on 'cuda'/) }));
    expect(() => ot.dist(xt, x)).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^dist: y is on 'cuda'/) }));
  });

  it('the backward reads the forward inputs even after an optimiser step changed them', () => {
    const xg = ot.tensor(xs, { device: 'cuda', requiresGrad: true });
    const x = ot.tensor(xs, { requiresGrad: true });
    const M = ot.dist(xg, ot.tensor(xt, { device: 'cuda' }));
    const opt = new ot.optim.SGD([xg], { lr: 0.5 });
    xg.grad = ot.tensor(new Float64Array(21).fill(1), { shape: [7, 3], device: 'cuda' });
    opt.step();
    M.sum().backward();
    ot.dist(x, xt).sum().backward();
    expectClose(xg.grad!.data, x.grad!.add(1).data, TOL, 'x.grad');
  });
});

describe('ot.solve on cuda tensors', () => {
  const n = 6;
  const m = 5;
  const M0 = ot.dist(ot.rand([n, 2], { seed: 4 }), ot.rand([m, 2], { seed: 5 }));
  // Sums exactly 1 in binary: b is not rescaled, so both weights reach the kernel as their own GPU buffers.
  const a0 = ot.tensor([0.125, 0.25, 0.125, 0.25, 0.125, 0.125]);
  const b0 = ot.tensor([0.25, 0.125, 0.25, 0.25, 0.125]);
  const W = ot.rand([n, m], { seed: 6 });

  for (const grad of ['autodiff', 'envelope', 'last_step', 'detach'] as const) {
    for (const regType of ['KL', 'entropy'] as const) {
      it(`grad=${grad} regType=${regType}: results and gradients as on the CPU`, () => {
        const [M, Mg] = pair(M0);
        const [a, ag] = pair(a0);
        const [b, bg] = pair(b0);
        const opts = { reg: 0.1, grad, regType, maxIter: 500 };
        const res = ot.solve(M, a, b, opts);
        const rg = ot.solve(Mg, ag, bg, opts);
        // One native call for every record, last_step included (its schedule runs natively); M stays on the
        // GPU, the weights go as the settled host values (the binding converts them to M's dtype).
        expect(fake.callsTo('sinkhornSolve')).toHaveLength(1);
        expect(deviceArgs('sinkhornSolve')).toEqual(['M']);
        expect(fake.callsTo('sinkhornSolve')[0]!.hostArgs).toEqual(['a', 'b']);
        for (const t of [rg.value, rg.valueLinear, rg.plan, ...rg.potentials]) expectCuda(t, 'result');
        expect(rg.nIter).toBe(res.nIter);
        expect(rg.status).toBe(res.status);
        expectClose(rg.value.data, res.value.data, TOL, 'value');
        expectClose(rg.valueLinear.data, res.valueLinear.data, TOL, 'valueLinear');
        expectClose(rg.plan.data, res.plan.data, TOL, 'plan');
        expectClose(rg.potentials[0].data, res.potentials[0].data, { rel: 1e-8, abs: 1e-10 }, 'logU');
        if (grad === 'detach') {
          expect(rg.value.requiresGrad).toBe(false);
          return;
        }
        res.value.backward();
        rg.value.backward();
        for (const [got, want, name] of [[Mg, M, 'M'], [ag, a, 'a'], [bg, b, 'b']] as const) {
          expectCuda(got.grad, `${name}.grad`);
          expectClose(got.grad!.data, want.grad!.data, { rel: 1e-7, abs: 1e-10 }, `${name}.grad`);
        }
        if (grad === 'autodiff' || grad === 'last_step') {
          expect(deviceArgs('sinkhornBackward')).toEqual(expect.arrayContaining(['M', 'history']));
        }
      });
    }
  }

  it('autodiff: gradients of plan and potentials flow through the adjoint', () => {
    const [M, Mg] = pair(M0);
    const res = ot.solve(M, { reg: 0.05 });
    const rg = ot.solve(Mg, { reg: 0.05 });
    res.plan.mul(W).sum().add(res.potentials[0].sum()).add(res.value).backward();
    rg.plan.mul(W).sum().add(rg.potentials[0].sum()).add(rg.value).backward();
    expectCuda(Mg.grad, 'M.grad');
    expectClose(Mg.grad!.data, M.grad!.data, { rel: 1e-7, abs: 1e-10 }, 'M.grad');
    const call = fake.callsTo('sinkhornSolve')[0]!;
    expect(call.deviceArgs).toEqual(['M']);
    expect(fake.callsTo('sinkhornBackward')[0]!.deviceArgs).toEqual(expect.arrayContaining(['M', 'history']));
  });

  it('float32 M with float64 weights, and the async twin', async () => {
    const Mg = ot.tensor(M0, { dtype: 'float32', device: 'cuda', requiresGrad: true });
    const ag = ot.tensor(a0, { device: 'cuda', requiresGrad: true });
    const rg = await ot.solveAsync(Mg, ag, null, { reg: 0.1 });
    expect(rg.plan.dtype).toBe('float32');
    rg.value.backward();
    expect(ag.grad!.dtype).toBe('float64');
    expectCuda(ag.grad, 'a.grad');
    const M = ot.tensor(M0, { dtype: 'float32', requiresGrad: true });
    const a = ot.tensor(a0, { requiresGrad: true });
    const res = ot.solve(M, a, null, { reg: 0.1 });
    res.value.backward();
    expectClose(rg.value.data, res.value.data, TOL32, 'value');
    expectClose(ag.grad!.data, a.grad!.data, { rel: 1e-3, abs: 1e-6 }, 'a.grad');
  });

  it('an aborted solveAsync rejects before any GPU work', async () => {
    const Mg = ot.tensor(M0, { device: 'cuda' }).mul(1); // a host-computed cuda tensor: not uploaded yet
    const ac = new AbortController();
    ac.abort();
    fake.reset();
    await expect(ot.solveAsync(Mg, { reg: 0.1, signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(fake.calls).toEqual([]);
  });

  it('mixed devices are ERR_OT_DEVICE naming the argument', () => {
    const Mg = ot.tensor(M0, { device: 'cuda' });
    expect(() => ot.solve(Mg, a0, b0, { reg: 0.1 })).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^solve: a is on 'cpu' but M is on 'cuda'/) }));
  });
});

describe('ot.batch on cuda tensors', () => {
  const X0 = ot.rand([3, 6, 2], { seed: 7 });
  const Y0 = ot.rand([3, 5, 2], { seed: 8 });

  it.each(['sqeuclidean', 'euclidean', 'minkowski'] as const)('distBatch %s: GPU buffers, CPU values and gradients', async (metric) => {
    const [X, Xg] = pair(X0);
    const [Y, Yg] = pair(Y0);
    const M = ot.batch.distBatch(X, Y, { metric, p: 3 });
    const Mg = await ot.batch.distBatchAsync(Xg, Yg, { metric, p: 3 });
    expectCuda(Mg, 'M');
    expect(deviceArgs('distBatch')).toEqual(['X', 'Y']);
    expectClose(Mg.data, M.data, TOL, 'M');
    M.pow(2).sum().backward();
    Mg.pow(2).sum().backward();
    expectCuda(Xg.grad, 'X.grad');
    expectClose(Xg.grad!.data, X.grad!.data, TOL, 'X.grad');
    expectClose(Yg.grad!.data, Y.grad!.data, TOL, 'Y.grad');
    const [Z, Zg] = pair(X0);
    ot.batch.distBatch(Z, null, { metric }).sum().backward();
    ot.batch.distBatch(Zg, null, { metric }).sum().backward();
    expectClose(Zg.grad!.data, Z.grad!.data, TOL, 'X.grad (Y = X)');
  });

  it("distBatch's kl metric is CPU-only", () => {
    expect(() => ot.batch.distBatch(ot.tensor(X0, { device: 'cuda' }), null, { metric: 'kl' })).toThrow(
      expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/'kl' metric is not available for cuda tensors/) }),
    );
  });

  for (const solver of ['log_sinkhorn', 'sinkhorn'] as const) {
    for (const stopRule of ['batch', 'problem'] as const) {
      it(`solveBatch ${solver} stopRule=${stopRule}: results and envelope gradients as on the CPU`, () => {
        const M0 = ot.batch.distBatch(X0, Y0);
        const [M, Mg] = pair(M0);
        const [a, ag] = pair(ot.tensor(Array.from({ length: 3 }, () => [0.1, 0.2, 0.3, 0.1, 0.2, 0.1])));
        const opts = { reg: 0.1, solver, stopRule, tol: 1e-9, regType: 'kl' as const };
        const res = ot.batch.solveBatch(M, { ...opts, a });
        const rg = ot.batch.solveBatch(Mg, { ...opts, a: ag });
        expect(deviceArgs('solveBatch')).toEqual(['M']);
        for (const t of [rg.value, rg.valueLinear, rg.plan, ...rg.potentials]) expectCuda(t, 'result');
        expect(rg.statusPerProblem).toEqual(res.statusPerProblem);
        expect(Array.from(rg.nIterPerProblem)).toEqual(Array.from(res.nIterPerProblem));
        expect(rg.nIter).toBe(res.nIter);
        expectClose(rg.value.data, res.value.data, TOL, 'value');
        expectClose(rg.plan.data, res.plan.data, TOL, 'plan');
        expectClose(rg.potentials[1].data, res.potentials[1].data, { rel: 1e-8, abs: 1e-10 }, 'potentials[1]');
        res.value.sum().add(res.valueLinear.sum()).backward();
        rg.value.sum().add(rg.valueLinear.sum()).backward();
        expectCuda(Mg.grad, 'M.grad');
        expectCuda(ag.grad, 'a.grad');
        expectClose(Mg.grad!.data, M.grad!.data, { rel: 1e-8, abs: 1e-10 }, 'M.grad');
        expectClose(ag.grad!.data, a.grad!.data, { rel: 1e-7, abs: 1e-10 }, 'a.grad');
      });
    }
  }

  it('solveBatch: adjoint grad modes are CPU-only, the async twin works', async () => {
    const Mg = ot.tensor(ot.batch.distBatch(X0, Y0), { device: 'cuda', requiresGrad: true });
    expect(() => ot.batch.solveBatch(Mg, { reg: 0.1, grad: 'autodiff' })).toThrow(
      expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^solveBatch: grad 'autodiff' is not available for cuda tensors/) }),
    );
    const rg = await ot.batch.solveBatchAsync(Mg.detach(), { reg: 0.1, grad: 'autodiff' });
    expectCuda(rg.plan, 'plan');
  });
});

describe('ot.stochastic on cuda tensors', () => {
  const xs0 = ot.rand([8, 2], { seed: 9 });
  const xt0 = ot.rand([6, 2], { seed: 10 });
  const u0 = ot.randn([8], { seed: 11 }).mul(0.1);
  const v0 = ot.randn([6], { seed: 12 }).mul(0.1);

  for (const kind of ['Entropic', 'Quadratic'] as const) {
    it(`lossDual${kind}: one GPU pass, cuda gradients equal to the CPU ones`, async () => {
      const loss = ot.stochastic[`lossDual${kind}`];
      const [u, ug] = pair(u0);
      const [v, vg] = pair(v0);
      const [xs, xsg] = pair(xs0);
      const [ws, wsg] = pair(ot.tensor([0.1, 0.2, 0.1, 0.1, 0.15, 0.15, 0.1, 0.1]));
      const L = loss(u, v, xs, xt0, { reg: 0.5, ws });
      const Lg = loss(ug, vg, xsg, ot.tensor(xt0, { device: 'cuda' }), { reg: 0.5, ws: wsg });
      expectCuda(Lg, 'loss');
      expect(deviceArgs('dualLoss')).toEqual(['u', 'v', 'xs', 'xt', 'ws']);
      expectClose(Lg.data, L.data, TOL, 'loss');
      L.neg().backward();
      Lg.neg().backward();
      for (const [got, want, name] of [[ug, u, 'u'], [vg, v, 'v'], [xsg, xs, 'xs'], [wsg, ws, 'ws']] as const) {
        expectCuda(got.grad, `${name}.grad`);
        expectClose(got.grad!.data, want.grad!.data, TOL, `${name}.grad`);
      }
      const G = ot.stochastic[`planDual${kind}`](u, v, xs, xt0, { reg: 0.5 });
      const Gg = await ot.stochastic[`planDual${kind}Async`](ug, vg, xsg, ot.tensor(xt0, { device: 'cuda' }), { reg: 0.5 });
      expectCuda(Gg, 'plan');
      expectClose(Gg.data, G.data, TOL, 'plan');
    });
  }

  it('other metrics are ERR_OT_DEVICE on cuda', () => {
    const g = (t: T) => ot.tensor(t, { device: 'cuda' });
    expect(() => ot.stochastic.lossDualEntropic(g(u0), g(v0), g(xs0), g(xt0), { metric: 'euclidean' })).toThrow(
      expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/metric 'euclidean' is not available for cuda tensors/) }),
    );
    expect(() => ot.stochastic.lossDualEntropic(g(u0), v0, g(xs0), g(xt0))).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/^lossDualEntropic: v is on 'cpu' but u is on 'cuda'/) }));
  });

  it('Adam on cuda potentials follows the CPU trajectory, and each step feeds the kernel GPU buffers', async () => {
    const [u, ug] = pair(u0);
    const [v, vg] = pair(v0);
    const xsg = ot.tensor(xs0, { device: 'cuda' });
    const xtg = ot.tensor(xt0, { device: 'cuda' });
    const opt = new ot.optim.Adam([u, v], { lr: 0.1 });
    const optg = new ot.optim.Adam([ug, vg], { lr: 0.1 });
    for (let k = 0; k < 5; k++) {
      opt.zeroGrad();
      ot.stochastic.lossDualEntropic(u, v, xs0, xt0, { reg: 0.5 }).neg().backward();
      opt.step();
      optg.zeroGrad();
      const L = k % 2 ? await ot.stochastic.lossDualEntropicAsync(ug, vg, xsg, xtg, { reg: 0.5 }) : ot.stochastic.lossDualEntropic(ug, vg, xsg, xtg, { reg: 0.5 });
      L.neg().backward();
      optg.step();
      expect(ug.device).toBe('cuda');
      expectCuda(ug.grad, 'u.grad');
    }
    const calls = fake.calls.filter((c) => c.name === 'dualLoss');
    expect(calls.length).toBe(5);
    for (const c of calls) expect(c.deviceArgs).toEqual(['u', 'v', 'xs', 'xt']);
    expectClose(ug.data, u.data, TOL, 'u after 5 steps');
    expectClose(vg.data, v.data, TOL, 'v after 5 steps');
    expect(ug.cudaBuffer()).toBeInstanceOf(FakeBuffer);
  });
});

describe('exact OT on cuda tensors (solved on the host, results on cuda)', () => {
  it('ot.solve, ot.emd2 and solveBatch without reg return cuda tensors equal to the CPU path, gradients included', async () => {
    const M = ot.dist(ot.rand([7, 2], { seed: 1 }), ot.rand([6, 2], { seed: 2 }));
    const [Mc, Mg] = pair(M);
    const [ac, ag] = pair(ot.tensor([0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1]));
    const cpu = ot.solve(Mc, ac, null);
    const gpu = ot.solve(Mg, ag, null);
    for (const t of [gpu.value, gpu.valueLinear, gpu.plan, ...gpu.potentials]) expectCuda(t, 'exact result');
    expectClose(gpu.plan.data, cpu.plan.data, TOL, 'plan');
    expectClose(gpu.potentials[0].data, cpu.potentials[0].data, TOL, 'u');
    cpu.value.backward();
    gpu.value.backward();
    expectCuda(Mg.grad, 'dM');
    expectCuda(ag.grad, 'da');
    expectClose(Mg.grad!.data, Mc.grad!.data, TOL, 'dM');
    expectClose(ag.grad!.data, ac.grad!.data, TOL, 'da');
    expectCuda(await ot.emd2Async(null, null, Mg.detach()), 'emd2Async');
    const B = ot.tensor(Float64Array.from([...M.data, ...M.data]), { shape: [2, 7, 6], device: 'cuda' });
    const batch = ot.batch.solveBatch(B);
    expectCuda(batch.plan, 'batch plan');
    expect(batch.value.data[0]).toBe(ot.emd2(null, null, M).item());
  });
});
