// Tensor basics beyond elementwise ops: matmul, t(), index/slice, ot.stack / ot.cat, arange / linspace,
// toString / toJSON — values as torch's, gradients against central finite differences, and bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';

/** Central finite differences of sum(f(x) * w) w.r.t. every entry of x, against autograd. */
function checkGrad(f: (x: ot.Tensor) => ot.Tensor, x0: ot.Tensor): void {
  const x = x0.clone().requiresGrad_(true);
  const y = f(x);
  const w = ot.randn(y.shape, { seed: 7, dtype: 'float64' });
  y.mul(w).sum().backward();
  const h = 1e-6;
  for (let k = 0; k < x0.numel; k++) {
    const at = (d: number) => {
      const z = x0.clone();
      z.data[k] = z.data[k]! + d;
      return f(z).mul(w).sum().item();
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    expect(Math.abs(x.grad!.data[k]! - fd), `entry ${k}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
  }
}

describe('matmul', () => {
  const A = ot.randn([4, 3], { seed: 1, dtype: 'float64' });
  const B = ot.randn([3, 5], { seed: 2, dtype: 'float64' });

  it('computes the product, with torch.matmul shapes for 1-d operands', () => {
    const C = A.matmul(B);
    expect(C.shape).toEqual([4, 5]);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let p = 0; p < 3; p++) s += A.data[i * 3 + p]! * B.data[p * 5 + j]!;
        expect(C.data[i * 5 + j]).toBeCloseTo(s, 12);
      }
    }
    const v = ot.randn([3], { seed: 3, dtype: 'float64' });
    expect(A.matmul(v).shape).toEqual([4]);
    expect(v.matmul(B).shape).toEqual([5]);
    expect(v.matmul(v).shape).toEqual([]);
    expect(v.matmul(v).item()).toBeCloseTo(v.mul(v).sum().item(), 12);
  });

  it('gradients w.r.t. both operands match finite differences', () => {
    checkGrad((x) => x.matmul(B), A);
    checkGrad((x) => A.matmul(x), B);
  });

  it('agrees with a float64 reference in float32 on random shapes (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 9 }), (n, k, m) => {
      const a = ot.rand([n, k], { seed: n * 100 + k, dtype: 'float32' });
      const b = ot.rand([k, m], { seed: m, dtype: 'float32' });
      const got = a.matmul(b).data;
      const want = a.to('float64').matmul(b.to('float64')).data;
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5 * k);
    }), { numRuns: 30, seed: 1 });
  });

  it('rejects mismatched operands', () => {
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => A.matmul(A), 'ERR_OT_SHAPE', /inner dimensions differ: \[4, 3\] x \[4, 3\]/);
    says(() => A.matmul(B.to('float32')), 'ERR_OT_DTYPE', /share a dtype/);
    says(() => A.matmul(ot.zeros([3, 2, 2])), 'ERR_OT_SHAPE', /1-d or 2-d/);
    says(() => A.matmul([[1]] as never), 'ERR_OT_ARG', /other must be a Tensor/);
  });
});

describe('t, index, slice, stack, cat', () => {
  const X = ot.randn([4, 3], { seed: 4, dtype: 'float64' });

  it('give torch values', () => {
    expect(X.t().toArray()).toEqual(X.toArray() instanceof Array ? (X.toArray() as number[][])[0]!.map((_, j) => (X.toArray() as number[][]).map((r) => r[j])) : []);
    expect(X.index(0, [2, 0, -1]).toArray()).toEqual([(X.toArray() as number[][])[2], (X.toArray() as number[][])[0], (X.toArray() as number[][])[3]]);
    expect(X.slice(0, 1, 3).shape).toEqual([2, 3]);
    expect(X.slice(1, 0, undefined, 2).shape).toEqual([4, 2]);
    expect(X.slice(0, -2).toArray()).toEqual((X.toArray() as number[][]).slice(-2));
    expect(ot.stack([X, X], 1).shape).toEqual([4, 2, 3]);
    expect(ot.cat([X, X.slice(0, 0, 1)]).shape).toEqual([5, 3]);
    expect(ot.cat([X, X], 1).index(1, [3]).toArray()).toEqual(X.index(1, [0]).toArray());
  });

  it('gradients match finite differences (repeated indices accumulate)', () => {
    checkGrad((x) => x.t(), X);
    checkGrad((x) => x.index(0, [1, 1, 3]), X);
    checkGrad((x) => x.slice(1, 1, 3), X);
    checkGrad((x) => ot.cat([x, x.mul(2)], 1), X);
    checkGrad((x) => ot.stack([x, x.exp()], 0), X);
  });

  it('reject bad arguments', () => {
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => X.index(0, [4]), 'ERR_OT_ARG', /index 4 \(entry 0\) is out of range for dim 0 of size 4/);
    says(() => X.index(2, [0]), 'ERR_OT_ARG', /dim 2 is out of range/);
    says(() => X.slice(0, 0, 2, 0), 'ERR_OT_ARG', /step must be an integer >= 1/);
    says(() => ot.cat([X, ot.zeros([2, 2])]), 'ERR_OT_SHAPE', /entry 1 has shape \[2, 2\]/);
    says(() => ot.stack([X, X.t()]), 'ERR_OT_SHAPE', /entry 1 has shape \[3, 4\]/);
    says(() => ot.cat([]), 'ERR_OT_ARG', /non-empty/);
    says(() => ot.zeros([2, 2, 2]).t(), 'ERR_OT_SHAPE', /at most 2 dims/);
  });
});

describe('arange, linspace, toString, toJSON', () => {
  it('arange and linspace as torch', () => {
    expect(Array.from(ot.arange(5).data)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(ot.arange(1, 2, 0.25).data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(ot.arange(3, 0, -1).data)).toEqual([3, 2, 1]);
    expect(Array.from(ot.linspace(0, 1, 5).data)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(ot.linspace(0, 0.3, 7).data[6]).toBe(0.3);
    expect(ot.arange(4, undefined, 1, { dtype: 'float32' }).dtype).toBe('float32');
    expect(() => ot.arange(0, 1, 0)).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(() => ot.linspace(0, 1, -1)).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG' }));
  });

  it('toString prints values as torch; toJSON gives { dtype, shape, data }', () => {
    expect(String(ot.tensor([[1, 2], [3, 4]], { dtype: 'float32' }))).toBe('tensor([[1., 2.],\n        [3., 4.]])');
    expect(String(ot.tensor([0.5, 0.25]))).toBe('tensor([0.5000, 0.2500], dtype=float64)');
    const big = String(ot.zeros([2000]));
    expect(big).toContain('...');
    expect(big.length).toBeLessThan(200);
    const x = ot.tensor([[1, 2]], { dtype: 'float32' });
    expect(JSON.parse(JSON.stringify(x))).toEqual({ dtype: 'float32', shape: [1, 2], data: [[1, 2]] });
    expect(ot.tensor(JSON.parse(JSON.stringify(x)).data, { dtype: 'float32' }).toArray()).toEqual([[1, 2]]);
  });
});
