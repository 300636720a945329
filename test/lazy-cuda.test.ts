// Lazy Sinkhorn on cuda tensors, on a machine without a GPU (lib/cuda/native-cuda.ts replaced by
// helpers/fake-cuda.ts, whose lazySinkhorn Job runs the CPU kernel on host copies): the routing to the GPU
// Job, cuda results and gradients, and agreement with the CPU path. The real kernel is checked by test:gpu.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { fake } from './helpers/fake-cuda.js';

vi.mock('../lib/cuda/native-cuda.js', async () => ({ nativeCuda: (await import('./helpers/fake-cuda.js')).fakeCuda }));

beforeEach(() => fake.reset());

describe('solveSample lazy on cuda tensors', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`runs the GPU Job and equals the CPU path (${dtype})`, async () => {
      const xs = ot.rand([60, 3], { seed: 1, dtype });
      const xt = ot.rand([45, 3], { seed: 2, dtype });
      const a = ot.rand([60], { seed: 3, dtype }).add(0.5);
      const aN = a.div(a.sum());
      const opts = { reg: 0.1, lazy: true, maxIter: 300 };
      const X = ot.tensor(xs, { requiresGrad: true });
      const A = ot.tensor(aN, { requiresGrad: true });
      const cpu = ot.solveSample(X, xt, A, null, opts);
      const Xc = ot.tensor(xs, { device: 'cuda', requiresGrad: true });
      const Ac = ot.tensor(aN, { device: 'cuda', requiresGrad: true });
      const gpu = await ot.solveSampleAsync(Xc, xt.to('cuda'), Ac, null, opts);
      expect(fake.callsTo('lazySinkhorn').some((c) => c.deviceArgs.includes('x'))).toBe(true);
      expect(gpu.value.device).toBe('cuda');
      expect(gpu.value.item()).toBe(cpu.value.item());
      expect(gpu.nIter).toBe(cpu.nIter);
      cpu.value.backward();
      gpu.value.backward();
      expect(Xc.grad!.device).toBe('cuda');
      expect(Array.from(Xc.grad!.data)).toEqual(Array.from(X.grad!.data));
      expect(Ac.grad!.device).toBe('cuda');
      expect(Array.from(Ac.grad!.data)).toEqual(Array.from(A.grad!.data));
      expect(gpu.lazyPlan!.rows(0, 2).data).toEqual(cpu.lazyPlan!.rows(0, 2).data);
    });
  }

  it('the sync form runs the GPU Job once and converges', () => {
    const x = ot.rand([20, 2], { seed: 4 }).to('cuda');
    const y = ot.rand([25, 2], { seed: 5 }).to('cuda');
    const r = ot.solveSample(x, y, { reg: 0.2, lazy: true });
    expect(r.status).toBe('converged');
    expect(fake.callsTo('lazySinkhorn').filter((c) => c.deviceArgs.includes('x')).length).toBe(1);
  });
});
