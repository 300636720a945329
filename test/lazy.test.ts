// Lazy Sinkhorn between point clouds (solveSample with lazy: true): equal to the dense solve of the same
// problem (value, potentials, plan rows) in float64 and float32, with weights (zeros included), on one
// thread and on a team; its envelope gradient against finite differences; the async twin.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { lazySolve } from '../lib/solvers/index.js';
import { expectClose, flat } from './helpers/fixtures.js';

function weights(n: number, seed: number, zeros = false): ot.Tensor {
  const w = ot.rand([n], { seed, dtype: 'float64' }).add(0.1);
  const d = Float64Array.from(w.data);
  if (zeros) d[1] = 0;
  const s = d.reduce((x, y) => x + y, 0);
  return ot.tensor(Array.from(d, (x) => x / s));
}

describe('lazy == dense', () => {
  const cases = [
    { n: 7, m: 5, d: 2, reg: 0.5, zeros: false },
    { n: 30, m: 41, d: 3, reg: 0.2, zeros: true },
    { n: 300, m: 260, d: 3, reg: 0.1, zeros: false }, // large enough for a thread team
    { n: 20, m: 15, d: 17, reg: 2, zeros: false },
  ];
  for (const c of cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`n=${c.n} m=${c.m} d=${c.d} reg=${c.reg} ${dtype}`, () => {
        const xA = ot.randn([c.n, c.d], { seed: c.n, dtype }), xB = ot.randn([c.m, c.d], { seed: c.m + 1, dtype }).add(0.5);
        const a = weights(c.n, 1, c.zeros).to(dtype), b = weights(c.m, 2).to(dtype);
        const lazy = ot.solveSample(xA, xB, a, b, { reg: c.reg, lazy: true, maxIter: 5000 });
        const dense = ot.solveSample(xA, xB, a, b, { reg: c.reg, maxIter: 5000, grad: 'envelope' });
        const tol = dtype === 'float64' ? { rel: 1e-7, abs: 1e-12 } : { rel: 1e-4, abs: 1e-7 };
        expect(lazy.status).toBe('converged');
        expectClose([lazy.value.item()], [dense.value.item()], tol, 'value');
        expectClose([lazy.valueLinear.item()], [dense.valueLinear.item()], tol, 'valueLinear');
        const rows = lazy.lazyPlan!.rows(0, c.n);
        expectClose(flat(rows.toArray()), flat(dense.plan!.toArray()), tol, 'plan');
        const some = lazy.lazyPlan!.rows(2, 5);
        expect(some.shape).toEqual([3, c.m]);
        expectClose(flat(some.toArray()), flat(rows.toArray()).slice(2 * c.m, 5 * c.m), { rel: 0, abs: 0 }, 'row block');
        // Different tiles, same numbers (the tile only changes the order of the sums).
        const tiled = ot.solveSample(xA, xB, a, b, { reg: c.reg, lazy: true, maxIter: 5000, batchSize: 3 });
        expectClose([tiled.value.item()], [lazy.value.item()], { rel: dtype === 'float64' ? 1e-12 : 1e-5, abs: 0 }, 'tile');
      });
    }
  }

  it('marginals of the lazy plan match the weights (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 25 }), fc.integer({ min: 1, max: 25 }), fc.integer({ min: 1, max: 4 }), fc.double({ min: 0.05, max: 5, noNaN: true }), (n, m, d, reg) => {
      const xA = ot.randn([n, d], { seed: n * 31 + m }), xB = ot.randn([m, d], { seed: d * 7 + n });
      const r = ot.solveSample(xA, xB, { reg, lazy: true, maxIter: 20000, tol: 1e-11 });
      if (r.status !== 'converged') return true; // tiny reg against far points may not reach tol; the dense test covers values
      const P = r.lazyPlan!.rows(0, n).toArray() as number[][];
      const rowErr = P.reduce((s, row) => s + Math.abs(row.reduce((x, y) => x + y, 0) - 1 / n), 0);
      expect(rowErr).toBeLessThan(1e-9);
      for (let j = 0; j < m; j++) expect(Math.abs(P.reduce((s, row) => s + row[j]!, 0) - 1 / m)).toBeLessThan(1e-8);
    }), { numRuns: 30 });
  });
});

describe('lazy gradients', () => {
  it('d value / d xA, xB, a, b match finite differences (float64)', () => {
    const n = 9, m = 7, d = 3, reg = 0.4;
    const xA0 = ot.randn([n, d], { seed: 11 }), xB0 = ot.randn([m, d], { seed: 12 });
    const a0 = weights(n, 5), b0 = weights(m, 6);
    const opts = { reg, lazy: true, tol: 1e-14, maxIter: 100000 } as const;
    const xA = ot.tensor(xA0.toArray() as number[][], { requiresGrad: true });
    const xB = ot.tensor(xB0.toArray() as number[][], { requiresGrad: true });
    const a = ot.tensor(flat(a0.toArray()), { requiresGrad: true }), b = ot.tensor(flat(b0.toArray()), { requiresGrad: true });
    const res = ot.solveSample(xA, xB, a, b, opts);
    res.value.backward();
    const f = (pa: number[], pb: number[]): number =>
      ot.solveSample(ot.tensor(pa).reshape([n, d]), ot.tensor(pb).reshape([m, d]), a0, b0, opts).value.item();
    const pa = flat(xA0.toArray()), pb = flat(xB0.toArray()), h = 1e-5;
    const fd = (which: 'a' | 'b', k: number): number => {
      const p = (which === 'a' ? pa : pb).slice(), q = p.slice();
      p[k]! += h;
      q[k]! -= h;
      return which === 'a' ? (f(p, pb) - f(q, pb)) / (2 * h) : (f(pa, p) - f(pa, q)) / (2 * h);
    };
    expectClose(flat(xA.grad!.toArray()), pa.map((_, k) => fd('a', k)), { rel: 1e-6, abs: 1e-9 }, 'xA');
    expectClose(flat(xB.grad!.toArray()), pb.map((_, k) => fd('b', k)), { rel: 1e-6, abs: 1e-9 }, 'xB');
    // a, b: the same envelope gradient as the dense solve.
    const ad = ot.tensor(flat(a0.toArray()), { requiresGrad: true }), bd = ot.tensor(flat(b0.toArray()), { requiresGrad: true });
    ot.solveSample(xA0, xB0, ad, bd, { reg, grad: 'envelope', tol: 1e-14, maxIter: 100000 }).value.backward();
    expectClose(flat(a.grad!.toArray()), flat(ad.grad!.toArray()), { rel: 1e-7, abs: 1e-12 }, 'a');
    expectClose(flat(b.grad!.toArray()), flat(bd.grad!.toArray()), { rel: 1e-7, abs: 1e-12 }, 'b');
  });

  it('float32 gradient agrees with float64; detach gives none', () => {
    const x64 = ot.randn([40, 2], { seed: 1, requiresGrad: true }), y = ot.randn([30, 2], { seed: 2 });
    const x32 = ot.tensor(x64.toArray() as number[][], { dtype: 'float32', requiresGrad: true });
    ot.solveSample(x64, y, { reg: 0.3, lazy: true }).value.backward();
    ot.solveSample(x32, y.to('float32'), { reg: 0.3, lazy: true }).value.backward();
    expectClose(flat(x32.grad!.toArray()), flat(x64.grad!.toArray()), { rel: 1e-4, abs: 1e-7 }, 'float32');
    const det = ot.solveSample(ot.randn([5, 2], { requiresGrad: true }), y, { reg: 0.3, lazy: true, grad: 'detach' });
    expect(det.value.requiresGrad).toBe(false);
  });

  it('lazySolve is callable by library code and the async twin gives the same result', async () => {
    const x = ot.randn([50, 3], { seed: 8 }), y = ot.randn([45, 3], { seed: 9 });
    const r = lazySolve(x, y, null, null, { reg: 0.2 });
    const s = await ot.solveSampleAsync(x, y, { reg: 0.2, lazy: true });
    expect(s.value.item()).toBe(r.value.item());
    expect(s.nIter).toBe(r.nIter);
  });

  it('stops at maxIter with a warning status', () => {
    const x = ot.randn([30, 2], { seed: 1 }), y = ot.randn([30, 2], { seed: 2 }).mul(4);
    const r = ot.solveSample(x, y, { reg: 0.01, lazy: true, maxIter: 3 });
    expect(r.status).toBe('max_iter');
    expect(r.nIter).toBe(2);
  });
});
