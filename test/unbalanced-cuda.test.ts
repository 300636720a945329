// Unbalanced solves on cuda tensors, on a machine without a GPU (lib/cuda/native-cuda.ts replaced by
// helpers/fake-cuda.ts): they have CPU kernels only, so M and the weights are solved on host copies and
// every result and gradient must come back as cuda tensors equal to the CPU path's.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { fake } from './helpers/fake-cuda.js';

vi.mock('../lib/cuda/native-cuda.js', async () => ({ nativeCuda: (await import('./helpers/fake-cuda.js')).fakeCuda }));

beforeEach(() => fake.reset());

const cases = [
  { name: 'entropic KL', opts: { reg: 0.1, unbalanced: 0.5 } },
  { name: 'entropic TV', opts: { reg: 0.1, unbalanced: 0.5, unbalancedType: 'TV' as const } },
  { name: 'exact KL (MM)', opts: { unbalanced: 1 } },
  { name: 'L2 + L2 (MM)', opts: { reg: 0.5, regType: 'L2' as const, unbalanced: 2, unbalancedType: 'L2' as const } },
  { name: 'exact TV (network simplex)', opts: { unbalanced: 0.3, unbalancedType: 'TV' as const } },
  { name: 'L2 + KL (dual ascent)', opts: { reg: 0.5, regType: 'L2' as const, unbalanced: 2 } },
  { name: 'L2 + TV (dual ascent)', opts: { reg: 0.5, regType: 'L2' as const, unbalanced: 0.3, unbalancedType: 'TV' as const } },
  { name: 'balanced L2 (dual ascent)', opts: { reg: 0.5, regType: 'L2' as const }, balanced: true },
];

describe('unbalanced ot.solve on cuda tensors', () => {
  for (const { name, opts, balanced } of cases) {
    it(`${name}: cuda results and gradients equal the CPU ones`, async () => {
      const M0 = ot.rand([12, 9], { seed: 1 });
      const a0 = ot.rand([12], { seed: 2 }).add(0.1);
      const b1 = ot.rand([9], { seed: 3 }).add(0.1);
      const b0 = balanced ? ot.tensor(b1.mul(a0.sum().item() / b1.sum().item()).toArray() as number[], { dtype: b1.dtype }) : b1;
      const [M, a, b] = [M0, a0, b0].map((t) => ot.tensor(t, { requiresGrad: true }));
      const [Mc, ac, bc] = [M0, a0, b0].map((t) => ot.tensor(t, { device: 'cuda', requiresGrad: true }));
      const cpu = ot.solve(M!, a!, b!, opts);
      const gpu = await ot.solveAsync(Mc!, ac!, bc!, opts);
      for (const t of [gpu.value, gpu.valueLinear, gpu.plan, ...gpu.potentials]) expect(t.device).toBe('cuda');
      expect(gpu.value.item()).toBe(cpu.value.item());
      expect(Array.from(gpu.plan.data)).toEqual(Array.from(cpu.plan.data));
      cpu.value.backward();
      gpu.value.backward();
      for (const [g, c] of [[Mc, M], [ac, a], [bc, b]] as const) {
        expect(g!.grad!.device).toBe('cuda');
        expect(Array.from(g!.grad!.data)).toEqual(Array.from(c!.grad!.data));
      }
    });
  }
});
