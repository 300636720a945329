// On cuda tensors (helpers/fake-cuda.ts in place of the GPU, as lazy-cuda.test.ts): the lazy Sinkhorn
// divergence's value runs the GPU Job and equals the CPU path; what only the CPU kernels give is refused,
// never silently skipped: the lazy transport cost's gradient and onProgress are ERR_OT_DEVICE.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { fake } from './helpers/fake-cuda.js';

vi.mock('../lib/cuda/native-cuda.js', async () => ({ nativeCuda: (await import('./helpers/fake-cuda.js')).fakeCuda }));

beforeEach(() => fake.reset());

describe('lazy divergence and onProgress on cuda tensors', () => {
  const xs = ot.rand([40, 2], { seed: 1, dtype: 'float64' });
  const xt = ot.rand([30, 2], { seed: 2, dtype: 'float64' }).add(0.3);
  const opts = { reg: 0.5, lazy: true, tol: 1e-11, maxIter: 20000 } as const;

  it('the value runs the GPU Job and equals the CPU path', async () => {
    const cpu = ot.sinkhornDivergence(xs, xt, opts).item();
    const gpu = await ot.sinkhornDivergenceAsync(xs.to('cuda'), xt.to('cuda'), opts);
    expect(fake.callsTo('lazySinkhorn').some((c) => c.deviceArgs.includes('x'))).toBe(true);
    expect(Math.abs(gpu.item() - cpu)).toBeLessThanOrEqual(1e-12 * cpu);
  });

  it('its gradient is ERR_OT_DEVICE (the implicit gradient runs on the CPU only)', () => {
    const x = ot.tensor(xs, { device: 'cuda', requiresGrad: true });
    expect(() => ot.sinkhornDivergence(x, xt.to('cuda'), opts)).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/CPU only/) }));
  });

  it('onProgress is ERR_OT_DEVICE for lazy and dense solves', async () => {
    await expect(ot.solveSampleAsync(xs.to('cuda'), xt.to('cuda'), { ...opts, onProgress: () => {} })).rejects.toMatchObject({ code: 'ERR_OT_DEVICE' });
    await expect(ot.solveAsync(ot.dist(xs, xt).to('cuda'), { reg: 0.5, onProgress: () => {} })).rejects.toMatchObject({ code: 'ERR_OT_DEVICE' });
  });
});
