// The 1-D and sliced distances on cuda tensors, on a machine without a GPU (lib/cuda/native-cuda.ts
// replaced by helpers/fake-cuda.ts, whose GPU Jobs run the CPU kernels on the host values): wasserstein1d
// and the sliced distances must reach their exports' GPU Jobs with the samples as device buffers, return
// cuda tensors, leave the gradients on the GPU, and agree with the CPU path exactly; emd1d copies to the host.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { fake } from './helpers/fake-cuda.js';

vi.mock('../lib/cuda/native-cuda.js', async () => ({ nativeCuda: (await import('./helpers/fake-cuda.js')).fakeCuda }));

beforeEach(() => fake.reset());

/** The same leaf on both devices: [cpu, cuda]. */
function pair(data: ot.Tensor): [ot.Tensor, ot.Tensor] {
  return [ot.tensor(data, { requiresGrad: true }), ot.tensor(data, { device: 'cuda', requiresGrad: true })];
}

describe('1-D and sliced distances on cuda tensors', () => {
  it('wasserstein1d and emd21d: cuda values and gradients equal to the CPU ones', async () => {
    const [u, uc] = pair(ot.randn([50, 2], { seed: 1 }));
    const v = ot.randn([40, 2], { seed: 2 });
    const vc = v.to('cuda');
    const w = ot.wasserstein1d(u, v, { p: 2, uWeights: ot.rand([50], { seed: 3 }) });
    const wc = ot.wasserstein1d(uc, vc, { p: 2, uWeights: ot.rand([50], { seed: 3 }).to('cuda') });
    expect(wc.device).toBe('cuda');
    expect(Array.from(wc.data)).toEqual(Array.from(w.data));
    expect(fake.callsTo('wasserstein1d').at(-1)!.deviceArgs).toEqual(['u', 'v', 'uWeights']);
    w.sum().backward();
    wc.sum().backward();
    expect(uc.grad!.device).toBe('cuda');
    expect(uc.grad!.hostCopy()).toBeNull();
    expect(Array.from(uc.grad!.data)).toEqual(Array.from(u.grad!.data));
    const [x, xc] = pair(ot.randn([30], { seed: 4 }));
    const e = ot.emd21d(x, [0, 1, 2]);
    const ec = await ot.emd21dAsync(xc, ot.tensor([0, 1, 2], { device: 'cuda' }));
    expect(ec.device).toBe('cuda');
    expect(ec.item()).toBe(e.item());
    e.backward();
    ec.backward();
    expect(Array.from(xc.grad!.data)).toEqual(Array.from(x.grad!.data));
  });

  it('wasserstein1d: column weights, a non-unit seed and both gradients match the CPU', async () => {
    const [u, uc] = pair(ot.randn([60, 3], { seed: 7 }));
    const [v, vc] = pair(ot.randn([45, 3], { seed: 8 }));
    const uw = ot.rand([60, 3], { seed: 9 });
    const vw = ot.rand([45], { seed: 10 });
    const seed = ot.tensor([1, -2, 0.5]);
    const w = ot.wasserstein1d(u, v, { p: 1.5, uWeights: uw, vWeights: vw });
    const wc = await ot.wasserstein1dAsync(uc, vc, { p: 1.5, uWeights: uw.to('cuda'), vWeights: vw.to('cuda') });
    expect(Array.from(wc.data)).toEqual(Array.from(w.data));
    w.mul(seed).sum().backward();
    wc.mul(seed.to('cuda')).sum().backward();
    expect(uc.grad!.device).toBe('cuda');
    expect(Array.from(uc.grad!.data)).toEqual(Array.from(u.grad!.data));
    expect(Array.from(vc.grad!.data)).toEqual(Array.from(v.grad!.data));
  });

  it('emd1d returns the plan on the GPU', () => {
    const plan = ot.emd1d(ot.tensor([0, 2, 1], { device: 'cuda' }), ot.tensor([1, 0], { device: 'cuda' }));
    expect(plan.device).toBe('cuda');
    expect(plan.toArray()).toEqual(ot.emd1d([0, 2, 1], [1, 0]).toArray());
  });

  it('sliced and max-sliced: cuda values and gradients equal to the CPU ones', async () => {
    for (const f of [ot.slicedWassersteinDistance, ot.maxSlicedWassersteinDistanceAsync]) {
      const [s, sc] = pair(ot.randn([40, 3], { seed: 5 }));
      const t = ot.randn([30, 3], { seed: 6 });
      const val = await f(s, t, { nProjections: 20, seed: 1 });
      const valc = await f(sc, t.to('cuda'), { nProjections: 20, seed: 1 });
      expect(valc.device).toBe('cuda');
      expect(valc.item()).toBe(val.item());
      val.backward();
      valc.backward();
      expect(sc.grad!.device).toBe('cuda');
      expect(sc.grad!.hostCopy()).toBeNull();
      expect(fake.callsTo('slicedWasserstein').at(-1)!.deviceArgs).toContain('xS');
      expect(Array.from(sc.grad!.data)).toEqual(Array.from(s.grad!.data));
    }
  });

  it('mixing devices is ERR_OT_DEVICE naming the argument', () => {
    const xc = ot.tensor([[0, 1]], { device: 'cuda' });
    expect(() => ot.slicedWassersteinDistance(xc, ot.tensor([[1, 1]]))).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE', message: expect.stringMatching(/xT is on 'cpu' but xS is on 'cuda'/) }));
    expect(() => ot.wasserstein1d(ot.tensor([1, 2]), [1], { vWeights: ot.tensor([1], { device: 'cuda' }) })).toThrow(expect.objectContaining({ code: 'ERR_OT_DEVICE' }));
    // Plain arrays follow the tensors' device.
    expect(ot.wasserstein1d([1, 2], ot.tensor([1], { device: 'cuda' })).device).toBe('cuda');
  });
});
