// Tensor creation, elementwise ops with broadcasting, reductions and reverse-mode gradients.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';

describe('tensor', () => {
  it('creates from nested and typed arrays', () => {
    const x = ot.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('float64');
    const y = ot.tensor(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
    expect(y.dtype).toBe('float32');
    expect(y.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(ot.zeros([2]).toArray()).toEqual([0, 0]);
  });

  it('is reproducible for a seed', () => {
    expect(ot.rand([5], { seed: 3 }).toArray()).toEqual(ot.rand([5], { seed: 3 }).toArray());
    expect(ot.randn([5], { seed: 3 }).toArray()).not.toEqual(ot.randn([5], { seed: 4 }).toArray());
    const r = ot.rand([10000], { seed: 1 }).data;
    const mean = r.reduce((s, v) => s + v, 0) / r.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });

  it('differentiates elementwise chains with broadcasting', () => {
    const x = ot.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const b = ot.tensor([10, 20], { requiresGrad: true });
    const y = x.mul(b).add(x.exp()).div(2).log().sum();
    y.backward();
    // finite differences
    const f = (xv: number[][], bv: number[]) =>
      ot.tensor(xv).mul(ot.tensor(bv)).add(ot.tensor(xv).exp()).div(2).log().sum().item();
    const h = 1e-6;
    const xs = [[1, 2], [3, 4]];
    const gx = x.grad!.toArray() as number[][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
      const p = xs.map((r) => [...r]); p[i]![j]! += h;
      const m = xs.map((r) => [...r]); m[i]![j]! -= h;
      expect(gx[i]![j]).toBeCloseTo((f(p, [10, 20]) - f(m, [10, 20])) / (2 * h), 5);
    }
    expect(b.grad!.shape).toEqual([2]);
  });

  it('accumulates gradients across backward calls and detaches', () => {
    const x = ot.tensor([1, 2, 3], { requiresGrad: true });
    x.pow(2).sum().backward();
    x.pow(2).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
    expect(x.detach().requiresGrad).toBe(false);
  });

  it('reduces along a dimension', () => {
    const x = ot.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    expect(x.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(x.mean(1).toArray()).toEqual([2, 5]);
    x.sum(1).sum().backward();
    expect(x.grad!.toArray()).toEqual([[1, 1, 1], [1, 1, 1]]);
    expect(x.max().item()).toBe(6);
  });

  it('rejects bad input with OTError codes', () => {
    expect(() => ot.tensor([[1], [2, 3]])).toThrow(ot.OTError);
    expect(() => ot.tensor([1, 2]).add(ot.tensor([1, 2, 3]))).toThrow(/broadcast/);
    expect(() => ot.zeros([2], { dtype: 'int8' as never })).toThrow(/dtype/);
    try {
      ot.zeros([2], { dtyp: 'float32' } as never);
    } catch (e) {
      expect((e as ot.OTError).code).toBe('ERR_OT_ARG');
    }
  });
});
