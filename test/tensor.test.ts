// Tensor creation, elementwise ops with broadcasting, reductions and reverse-mode gradients.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { MultiOutputNode } from '../lib/tensor/autograd.js';

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

describe('multi-output autograd nodes', () => {
  // y = 2x and z = 3x from one node: one backward receives both outputs' gradients.
  function twoOutputs(x: ot.Tensor) {
    const calls: (number[] | null)[][] = [];
    const node = new MultiOutputNode('twice-thrice', [x], (gs) => {
      calls.push(gs.map((g) => (g ? Array.from(g.data) : null)));
      const gy = gs[0] ? gs[0].mul(2) : null;
      const gz = gs[1] ? gs[1].mul(3) : null;
      return [gy && gz ? gy.add(gz) : (gy ?? gz)];
    });
    const y = ot.Tensor.fromOp(x.detach().mul(2).data, x.shape, node.output(0, 'y'));
    const z = ot.Tensor.fromOp(x.detach().mul(3).data, x.shape, node.output(1, 'z'));
    return { y, z, calls };
  }

  it('runs its backward once, after every consumer of every output', () => {
    const x = ot.tensor([1, 2], { requiresGrad: true });
    const { y, z, calls } = twoOutputs(x);
    y.sum().add(z.mul(z).sum()).add(y.mul(4).sum()).backward();
    expect(calls).toEqual([[[5, 5], [6, 12]]]);
    expect(Array.from(x.grad!.data)).toEqual([2 * 5 + 3 * 6, 2 * 5 + 3 * 12]);
  });

  it('passes null for an output no gradient reached', () => {
    const x = ot.tensor([1, 2], { requiresGrad: true });
    const { z, calls } = twoOutputs(x);
    z.sum().backward();
    expect(calls).toEqual([[null, [1, 1]]]);
    expect(Array.from(x.grad!.data)).toEqual([3, 3]);
  });

  it('records nothing when no input requires grad', () => {
    const { y } = twoOutputs(ot.tensor([1, 2]));
    expect(y.requiresGrad).toBe(false);
  });
});

describe('tensor shape option', () => {
  it('rejects a shape that is not an array of non-negative integers with ERR_OT_SHAPE', () => {
    for (const shape of ['x', [2, -1], [1.5], null]) {
      expect(() => ot.tensor(new Float64Array(2), { shape: shape as never })).toThrow(expect.objectContaining({ code: 'ERR_OT_SHAPE', message: expect.stringMatching(/^tensor: shape must be/) }));
    }
  });
});
