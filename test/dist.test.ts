// ot.dist / ot.distAsync: POT fixtures (forward + gradients), properties, finite differences,
// a plain-JS reference on block-crossing sizes, async parity and cancellation, bad input.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { nativeCosts, type DistFields } from '../lib/backend/native-costs.js';

/** The options object of the raw dist entry points, from the positional fields. */
function distFields(x: Float64Array | Float32Array, y: Float64Array | Float32Array, n: number, m: number, d: number, metric: Metric, p: number, same: boolean): DistFields {
  return { x, y, n, m, d, metric, p, same };
}
import { expectClose, loadFixture, tolerance } from './helpers/fixtures.js';

type Metric = ot.DistMetric;
const METRICS: Metric[] = ['sqeuclidean', 'euclidean', 'cityblock', 'minkowski', 'chebyshev', 'cosine'];

// ---- plain-JS reference: the formulas, entry by entry ----

function refDist(x: number[][], y: number[][], metric: Metric, p = 2): number[][] {
  return x.map((xi) =>
    y.map((yj) => {
      const t = xi.map((v, k) => v - yj[k]!);
      switch (metric) {
        case 'sqeuclidean': return t.reduce((s, v) => s + v * v, 0);
        case 'euclidean': return Math.sqrt(t.reduce((s, v) => s + v * v, 0));
        case 'cityblock': return t.reduce((s, v) => s + Math.abs(v), 0);
        case 'minkowski': return t.reduce((s, v) => s + Math.abs(v) ** p, 0) ** (1 / p);
        case 'chebyshev': return Math.max(...t.map(Math.abs));
        case 'cosine': {
          const dot = xi.reduce((s, v, k) => s + v * yj[k]!, 0);
          const nx = Math.hypot(...xi);
          const ny = Math.hypot(...yj);
          return 1 - dot / (nx * ny);
        }
      }
    }),
  );
}

/** d/dx and d/dy of sum(M * W), entry by entry (first maximiser for chebyshev). */
function refGrad(x: number[][], y: number[][], W: number[][], metric: Metric, p = 2): { gx: number[][]; gy: number[][] } {
  const gx = x.map((r) => r.map(() => 0));
  const gy = y.map((r) => r.map(() => 0));
  const M = refDist(x, y, metric, p);
  x.forEach((xi, i) =>
    y.forEach((yj, j) => {
      const w = W[i]![j]!;
      const mij = M[i]![j]!;
      const t = xi.map((v, k) => v - yj[k]!);
      const kmax = t.reduce((b, v, k) => (Math.abs(v) > Math.abs(t[b]!) ? k : b), 0);
      const nx = Math.hypot(...xi);
      const ny = Math.hypot(...yj);
      for (let k = 0; k < t.length; k++) {
        let dX: number; // dM_ij / dx_ik
        let dY: number; // dM_ij / dy_jk
        switch (metric) {
          case 'sqeuclidean': dX = 2 * t[k]!; dY = -dX; break;
          case 'euclidean': dX = mij > 0 ? t[k]! / mij : 0; dY = -dX; break;
          case 'cityblock': dX = Math.sign(t[k]!); dY = -dX; break;
          case 'minkowski': dX = mij > 0 ? Math.sign(t[k]!) * (Math.abs(t[k]!) / mij) ** (p - 1) : 0; dY = -dX; break;
          case 'chebyshev': dX = k === kmax ? Math.sign(t[k]!) : 0; dY = -dX; break;
          case 'cosine':
            dX = -yj[k]! / (nx * ny) + (1 - mij) * xi[k]! / (nx * nx);
            dY = -xi[k]! / (nx * ny) + (1 - mij) * yj[k]! / (ny * ny);
            break;
        }
        gx[i]![k] += w * dX;
        gy[j]![k] += w * dY;
      }
    }),
  );
  return { gx, gy };
}

function randomMatrix(rows: number, cols: number, seed: number): number[][] {
  return ot.randn([rows, cols], { seed }).toArray() as number[][];
}

function metricOpts(metric: Metric, p?: number | null): ot.DistOptions {
  return p === undefined || p === null ? { metric } : { metric, p };
}

// ---- POT fixtures ----

describe('dist vs POT fixtures', () => {
  const { cases } = loadFixture('dist');
  for (const c of cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      const pLabel = c.p === null || c.p === undefined ? '' : ` p=${c.p}`;
      const title = `dist ${c.metric}${pLabel} ${c.x.length}x${c.y.length}x${c.x[0].length} ${dtype}`;
      it(title, () => {
        const tol = tolerance(dtype);
        const x = ot.tensor(c.x, { dtype, requiresGrad: true });
        const y = ot.tensor(c.y, { dtype, requiresGrad: true });
        const M = ot.dist(x, y, metricOpts(c.metric, c.p));
        expect(M.dtype).toBe(dtype);
        expect(M.shape).toEqual([c.x.length, c.y.length]);
        expectClose(M.data, c.M, tol, `${title} M`);
        M.mul(ot.tensor(c.W, { dtype })).sum().backward();
        // POT has no gradient for chebyshev / cosine (scipy path); compare those with the formulas.
        const want = c.grad_sum_MW ?? (() => {
          const r = refGrad(c.x, c.y, c.W, c.metric, c.p ?? 2);
          return { x: r.gx, y: r.gy };
        })();
        expect(x.grad!.dtype).toBe(dtype);
        expectClose(x.grad!.data, want.x, tol, `${title} dx`);
        expectClose(y.grad!.data, want.y, tol, `${title} dy`);
      });
    }
  }
});

// ---- properties ----

describe('dist properties', () => {
  const x = randomMatrix(23, 4, 11);
  for (const metric of METRICS) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`dist(x) is symmetric with a zero diagonal: ${metric} ${dtype}`, () => {
        const xt = ot.tensor(x, { dtype });
        for (const M of [ot.dist(xt, { metric, p: 3 }), ot.dist(xt, xt, { metric, p: 3 })]) {
          const n = x.length;
          for (let i = 0; i < n; i++) {
            expect(M.data[i * n + i]).toBe(0);
            for (let j = 0; j < i; j++) expect(M.data[i * n + j]).toBe(M.data[j * n + i]);
          }
        }
      });
    }
  }

  it('squared euclidean distances are never negative and exactly 0 for equal rows', () => {
    const big = [[1e8 + 1, 3], [1e8 + 1, 3], [1e8, 3 + 1e-8]];
    const M = ot.dist(big, [[1e8 + 1, 3], [1e8, 3]]);
    expect(Math.min(...M.data)).toBeGreaterThanOrEqual(0);
    expect(M.data[0]).toBe(0);
    expect(M.data[2]).toBe(0);
    expect(M.data[1]).toBe(1);
  });

  for (const [n, m, d] of [[300, 259, 7], [37, 70, 41], [203, 131, 19]]) {
  it(`matches the reference on block-crossing sizes ${n}x${m}x${d} (threads, tiles, tails), both dtypes`, () => {
    const xs = randomMatrix(n, d, 1);
    const ys = randomMatrix(m, d, 2);
    const W = randomMatrix(n, m, 3);
    for (const [metric, p] of [['sqeuclidean', 2], ['euclidean', 2], ['cityblock', 2], ['minkowski', 1.5], ['minkowski', 3],
      ['minkowski', 4], ['chebyshev', 2], ['cosine', 2]] as [Metric, number][]) {
      const want = refDist(xs, ys, metric, p);
      const g = refGrad(xs, ys, W, metric, p);
      for (const dtype of ['float64', 'float32'] as const) {
        const what = `${metric} p=${p} ${dtype}`;
        const tol = dtype === 'float64' ? { rel: 1e-12, abs: 0 } : { rel: 2e-5, abs: 0 };
        const x = ot.tensor(xs, { dtype, requiresGrad: true });
        const y = ot.tensor(ys, { dtype, requiresGrad: true });
        const M = ot.dist(x, y, { metric, p });
        expectClose(M.data, want, tol, `${what} M`);
        M.mul(ot.tensor(W, { dtype })).sum().backward();
        expectClose(x.grad!.data, g.gx, tol, `${what} dx`);
        expectClose(y.grad!.data, g.gy, tol, `${what} dy`);
      }
    }
  });
  }

  // From d = 8 (forward) / 16 (backward) the inner-product metrics go through matrix products; these
  // cases make them cancel: a far offset, exact and near duplicates.
  it('product route: offset data with near duplicates keeps every entry and gradient accurate', () => {
    const d = 24;
    const base = randomMatrix(40, d, 71).map((r) => r.map((v) => 1000 + v));
    const noise = randomMatrix(40, d, 72);
    const ys = base.map((r, i) => r.map((v, k) => (i % 3 === 0 ? v : v + (i % 3 === 1 ? 1e-3 : 1e-6) * noise[i]![k]!)));
    const W = randomMatrix(40, 40, 73);
    for (const dtype of ['float64', 'float32'] as const) {
      const xs = ot.tensor(base, { dtype }).toArray() as number[][];  // the values the kernels see
      const yv = ot.tensor(ys, { dtype }).toArray() as number[][];
      for (const metric of ['sqeuclidean', 'euclidean'] as Metric[]) {
        const want = refDist(xs, yv, metric);
        const x = ot.tensor(xs, { dtype, requiresGrad: true });
        const y = ot.tensor(yv, { dtype, requiresGrad: true });
        const M = ot.dist(x, y, { metric });
        const rel = dtype === 'float64' ? 1e-9 : 1e-3;
        want.forEach((row, i) => row.forEach((w, j) => {
          const got = M.data[i * 40 + j]!;
          expect(Math.abs(got - w), `${metric} ${dtype} M[${i},${j}] = ${got}, want ${w}`).toBeLessThanOrEqual(rel * w);
        }));
        M.mul(ot.tensor(W, { dtype })).sum().backward();
        const g = refGrad(xs, yv, W, metric);
        const tol = dtype === 'float64' ? { rel: 1e-9, abs: 0 } : { rel: 2e-5, abs: 0 };
        expectClose(x.grad!.data, g.gx, tol, `${metric} ${dtype} dx`);
        expectClose(y.grad!.data, g.gy, tol, `${metric} ${dtype} dy`);
      }
    }
  });

  it('product route: dist(x) is symmetric with a zero diagonal and its gradient matches', () => {
    const xs = randomMatrix(150, 40, 81);
    const W = randomMatrix(150, 150, 82);
    for (const metric of ['sqeuclidean', 'euclidean', 'cosine'] as Metric[]) {
      for (const dtype of ['float64', 'float32'] as const) {
        const x = ot.tensor(xs, { dtype, requiresGrad: true });
        const M = ot.dist(x, { metric });
        for (let i = 0; i < 150; i++) {
          expect(M.data[i * 150 + i]).toBe(0);
          for (let j = 0; j < i; j++) expect(M.data[i * 150 + j]).toBe(M.data[j * 150 + i]);
        }
        M.mul(ot.tensor(W, { dtype })).sum().backward();
        const xv = ot.tensor(xs, { dtype }).toArray() as number[][];
        const g = refGrad(xv, xv, W, metric);
        const want = g.gx.map((r, i) => r.map((v, k) => v + g.gy[i]![k]!));
        expectClose(x.grad!.data, want, dtype === 'float64' ? { rel: 1e-12, abs: 0 } : { rel: 2e-5, abs: 0 }, `${metric} ${dtype}`);
      }
    }
  });

  it('dist(x) on block-crossing sizes: the pinned diagonal carries no gradient', () => {
    const xs = randomMatrix(290, 3, 61);
    const W = randomMatrix(290, 290, 62);
    for (const metric of ['euclidean', 'cityblock', 'chebyshev', 'cosine'] as Metric[]) {
      const x = ot.tensor(xs, { requiresGrad: true });
      ot.dist(x, { metric }).mul(ot.tensor(W)).sum().backward();
      const g = refGrad(xs, xs, W, metric);
      const want = g.gx.map((r, i) => r.map((v, k) => v + g.gy[i]![k]!));
      expectClose(x.grad!.data, want, { rel: 1e-12, abs: 1e-13 }, metric);
    }
  });

  it('splits a single row over columns (n = 1, m large)', () => {
    const xs = randomMatrix(1, 3, 5);
    const ys = randomMatrix(2000, 3, 6);
    for (const metric of METRICS) expectClose(ot.dist(xs, ys, { metric }).data, refDist(xs, ys, metric), { rel: 1e-12, abs: 0 }, metric);
    // The product route (d >= 8) splits columns too, in whole panels.
    const xw = randomMatrix(1, 40, 7);
    const yw = randomMatrix(10001, 40, 8);
    for (const metric of ['sqeuclidean', 'euclidean', 'cosine'] as Metric[]) {
      expectClose(ot.dist(xw, yw, { metric }).data, refDist(xw, yw, metric), { rel: 1e-12, abs: 0 }, `${metric} d=40`);
    }
  });

  it('handles empty sets and zero features', () => {
    expect(ot.dist(ot.zeros([0, 3]), ot.zeros([4, 3])).shape).toEqual([0, 4]);
    expect(ot.dist(ot.zeros([2, 3]), ot.zeros([0, 3])).shape).toEqual([2, 0]);
    expect(Array.from(ot.dist(ot.zeros([2, 0]), ot.zeros([3, 0])).data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('accepts number[][] (float64) and promotes float32 with float64 to float64', () => {
    const M = ot.dist([[0, 0], [1, 1]], [[1, 0]]);
    expect(M.dtype).toBe('float64');
    expect(M.toArray()).toEqual([[1], [1]]);
    const x = ot.tensor([[0, 0], [1, 2]], { dtype: 'float32', requiresGrad: true });
    const y = ot.tensor([[1, 0]], { dtype: 'float64' });
    const P = ot.dist(x, y, { metric: 'euclidean' });
    expect(P.dtype).toBe('float64');
    P.sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expectClose(x.grad!.data, [-1, 0, 0, 1], tolerance('float32'), 'promoted grad');
  });

  it('defaults to y = x and to sqeuclidean', () => {
    const x = randomMatrix(6, 2, 9);
    expect(ot.dist(x).toArray()).toEqual(ot.dist(x, x, { metric: 'sqeuclidean' }).toArray());
    expect(ot.dist(x, null, { metric: 'cityblock' }).toArray()).toEqual(ot.dist(x, { metric: 'cityblock' }).toArray());
  });

  it('minkowski with p = 1 and p = 2 equals cityblock and euclidean', () => {
    const x = randomMatrix(9, 3, 21);
    const y = randomMatrix(8, 3, 22);
    expectClose(ot.dist(x, y, { metric: 'minkowski', p: 1 }).data, ot.dist(x, y, { metric: 'cityblock' }).data, { rel: 1e-15, abs: 0 }, 'p=1');
    expectClose(ot.dist(x, y, { metric: 'minkowski', p: 2 }).data, ot.dist(x, y, { metric: 'euclidean' }).data, { rel: 1e-15, abs: 0 }, 'p=2');
  });
});

// ---- gradients ----

describe('dist gradients', () => {
  const cases: [Metric, number][] = [['sqeuclidean', 2], ['euclidean', 2], ['cityblock', 2], ['minkowski', 1], ['minkowski', 1.5],
    ['minkowski', 2], ['minkowski', 2.5], ['minkowski', 3], ['minkowski', 4], ['chebyshev', 2], ['cosine', 2]];
  for (const [metric, p] of cases) {
    it(`matches central finite differences: ${metric} p=${p}`, () => {
      const xs = randomMatrix(5, 3, 31);
      const ys = randomMatrix(4, 3, 32);
      const W = randomMatrix(5, 4, 33);
      const loss = (a: number[][], b: number[][]): number =>
        refDist(a, b, metric, p).reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * W[i]![j]!, 0), 0);
      const x = ot.tensor(xs, { requiresGrad: true });
      const y = ot.tensor(ys, { requiresGrad: true });
      ot.dist(x, y, { metric, p }).mul(ot.tensor(W)).sum().backward();
      const h = 1e-6;
      for (const [which, base, grad] of [['x', xs, x.grad!], ['y', ys, y.grad!]] as const) {
        const fd: number[] = [];
        base.forEach((row, i) =>
          row.forEach((_, k) => {
            const plus = base.map((r) => [...r]);
            const minus = base.map((r) => [...r]);
            plus[i]![k] += h;
            minus[i]![k] -= h;
            const lp = which === 'x' ? loss(plus, ys) : loss(xs, plus);
            const lm = which === 'x' ? loss(minus, ys) : loss(xs, minus);
            fd.push((lp - lm) / (2 * h));
          }),
        );
        expectClose(grad.data, fd, { rel: 1e-6, abs: 1e-8 }, `${metric} d${which}`);
      }
    });
  }

  for (const metric of METRICS) {
    it(`is finite (0 for the equal pair) at zero distance: ${metric}`, () => {
      const x = ot.tensor([[1, 2, 3], [1, 2, 3], [0, 1, 0.5]], { requiresGrad: true });
      const M = ot.dist(x, { metric, p: 3 });
      M.sum().backward();
      expect(x.grad!.data.every(Number.isFinite)).toBe(true);
      const a = ot.tensor([[1, 2, 3]], { requiresGrad: true });
      const b = ot.tensor([[1, 2, 3]], { requiresGrad: true });
      ot.dist(a, b, { metric, p: 3 }).sum().backward();
      expect(Array.from(a.grad!.data).map(Math.abs)).toEqual([0, 0, 0].map((v) => (metric === 'cosine' ? expect.closeTo(v, 12) : v)));
      expect(Array.from(b.grad!.data).map(Math.abs)).toEqual([0, 0, 0].map((v) => (metric === 'cosine' ? expect.closeTo(v, 12) : v)));
    });
  }

  it('dist(x) differentiates through both arguments (x is y)', () => {
    const xs = randomMatrix(7, 2, 41);
    const W = randomMatrix(7, 7, 42);
    const x = ot.tensor(xs, { requiresGrad: true });
    ot.dist(x, { metric: 'euclidean' }).mul(ot.tensor(W)).sum().backward();
    const g = refGrad(xs, xs, W, 'euclidean');
    expectClose(x.grad!.data, g.gx.map((r, i) => r.map((v, k) => v + g.gy[i]![k]!)), { rel: 1e-12, abs: 1e-14 }, 'dx');
  });

  it('uses the inputs of the forward pass even if they change before backward', () => {
    const x = ot.tensor([[0, 0], [1, 0]], { requiresGrad: true });
    const y = ot.tensor([[0, 1]]);
    const M = ot.dist(x, y);
    x.data[0] = 100;
    M.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, -2, 2, -2]);
  });

  it('does not record a graph when no input requires grad', () => {
    const M = ot.dist(randomMatrix(3, 2, 1), randomMatrix(4, 2, 2));
    expect(M.requiresGrad).toBe(false);
    expect(M.gradFn).toBeNull();
  });
});

// ---- async ----

describe('distAsync', () => {
  it('equals dist, including the gradient', async () => {
    const xs = randomMatrix(40, 5, 51);
    const ys = randomMatrix(33, 5, 52);
    for (const metric of METRICS) {
      for (const dtype of ['float64', 'float32'] as const) {
        const x1 = ot.tensor(xs, { dtype, requiresGrad: true });
        const x2 = ot.tensor(xs, { dtype, requiresGrad: true });
        const y = ot.tensor(ys, { dtype });
        const a = ot.dist(x1, y, { metric, p: 3 });
        const b = await ot.distAsync(x2, y, { metric, p: 3 });
        expect(Array.from(b.data)).toEqual(Array.from(a.data));
        a.sum().backward();
        b.sum().backward();
        expect(Array.from(x2.grad!.data)).toEqual(Array.from(x1.grad!.data));
      }
    }
    expect((await ot.distAsync(xs)).toArray()).toEqual(ot.dist(xs).toArray());
  });

  it('rejects with ERR_OT_ABORTED for an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(ot.distAsync(randomMatrix(3, 2, 1), { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const big = ot.rand([3000, 64], { seed: 1, dtype: 'float32' });
    const live = new AbortController();
    const pending = ot.distAsync(big, big, { signal: live.signal, metric: 'cityblock' });
    live.abort();
    await expect(pending).rejects.toMatchObject({ name: 'OTError', code: 'ERR_OT_ABORTED' });
  });

  it('rejects bad input with an OTError', async () => {
    await expect(ot.distAsync([[1, 2]], [[1, 2, 3]])).rejects.toMatchObject({ code: 'ERR_OT_SHAPE' });
    await expect(ot.distAsync([[1, 2]], { signal: 'stop' as unknown as AbortSignal })).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
  });
});

// ---- bad input ----

describe('dist rejects bad input', () => {
  const ok = [[0, 1], [2, 3]];
  const bad: [string, () => unknown, string, RegExp][] = [
    ['1-d x', () => ot.dist(ot.tensor([1, 2, 3])), 'ERR_OT_SHAPE', /dist: x must be 2-d/],
    ['3-d y', () => ot.dist(ok, ot.zeros([2, 2, 2])), 'ERR_OT_SHAPE', /dist: y must be 2-d/],
    ['feature mismatch', () => ot.dist(ok, [[1, 2, 3]]), 'ERR_OT_SHAPE', /x has 2 features .* y has 3/],
    ['NaN in x', () => ot.dist([[0, NaN]], ok), 'ERR_OT_VALUE', /dist: x must be finite, but entry 1 is NaN/],
    ['Inf in y', () => ot.dist(ok, [[Infinity, 0]]), 'ERR_OT_VALUE', /dist: y must be finite/],
    ['p < 1', () => ot.dist(ok, { metric: 'minkowski', p: 0.5 }), 'ERR_OT_VALUE', /dist: p must be a finite number >= 1/],
    ['p infinite', () => ot.dist(ok, { metric: 'minkowski', p: Infinity }), 'ERR_OT_VALUE', /dist: p must be/],
    ['p not a number', () => ot.dist(ok, { metric: 'minkowski', p: '3' as unknown as number }), 'ERR_OT_VALUE', /dist: p must be/],
    ['unknown metric', () => ot.dist(ok, { metric: 'hamming' as Metric }), 'ERR_OT_ARG', /dist: metric must be one of .*got "hamming"/],
    ['unknown option', () => ot.dist(ok, ok, { metirc: 'euclidean' } as ot.DistOptions), 'ERR_OT_ARG', /dist: unknown option 'metirc'/],
    ['cosine zero row', () => ot.dist(ok, [[0, 0]], { metric: 'cosine' }), 'ERR_OT_VALUE', /row 0 of y is all zeros/],
    ['string input', () => ot.dist('x' as unknown as number[][]), 'ERR_OT_ARG', /dist: x must be a Tensor or a number\[\]\[\]/],
    ['ragged input', () => ot.dist([[1, 2], [3]]), 'ERR_OT_SHAPE', /ragged/],
  ];
  for (const [what, call, code, message] of bad) {
    it(what, () => {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ot.OTError);
      expect((err as ot.OTError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('the native layer re-validates its arguments', () => {
    const x = new Float64Array([0, 1, 2, 3]);
    const f32 = new Float32Array(4);
    const expectCode = (call: () => unknown, code: string, message: RegExp) => {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ot.OTError);
      expect(err).toMatchObject({ code });
      expect((err as Error).message).toMatch(message);
    };
    expectCode(() => nativeCosts.distForward(distFields(x, x, 2, 2, 3, 'sqeuclidean', 2, false)), 'ERR_OT_SHAPE', /x has 4 entries, expected 6/);
    expectCode(() => nativeCosts.distForward(distFields(x, f32, 2, 2, 2, 'sqeuclidean', 2, false)), 'ERR_OT_DTYPE', /y must have the same dtype/);
    expectCode(() => nativeCosts.distForward(distFields(x, x, 2 ** 17, 2 ** 17, 0, 'sqeuclidean', 2, false)), 'ERR_OT_OOM', /more than a typed array can hold/);
    expectCode(() => nativeCosts.distForward(distFields(x, x, 2 ** 33, 1, 2 ** 33, 'sqeuclidean', 2, false)), 'ERR_OT_SHAPE', /more entries than/);
    expectCode(() => nativeCosts.distForward(distFields(x, x, 2, 2, 2, 'nope' as Metric, 2, false)), 'ERR_OT_ARG', /metric must be one of/);
    expectCode(() => nativeCosts.distForward(distFields(x, x, 2, 2, 2, 'minkowski', 0.5, false)), 'ERR_OT_VALUE', /p must be a finite number >= 1/);
    expectCode(() => nativeCosts.distForward(distFields(new Float64Array([0, NaN, 1, 1]), x, 2, 2, 2, 'euclidean', 2, false)), 'ERR_OT_VALUE', /x contains NaN/);
    expectCode(() => nativeCosts.distForward(distFields(x, new Float64Array([0, 0, 1, 1]), 2, 2, 2, 'cosine', 2, false)), 'ERR_OT_VALUE', /row 0 of y/);
    expectCode(() => nativeCosts.distForward(distFields(x, new Float64Array(4), 2, 2, 2, 'euclidean', 2, true)), 'ERR_OT_ARG', /same=true needs y to be x/);
    expectCode(() => nativeCosts.distBackward({ ...distFields(x, x, 2, 2, 2, 'euclidean', 2, true), M: new Float64Array(4), G: new Float64Array(3), needX: true, needY: true }),
      'ERR_OT_SHAPE', /output gradient has 3 entries, expected 4/);
    expectCode(() => nativeCosts.distBackward({ ...distFields(x, x, 2, 2, 2, 'euclidean', 2, true), M: new Float64Array(4), G: new Float64Array([0, Infinity, 0, 0]), needX: true, needY: true }),
      'ERR_OT_VALUE', /output gradient contains NaN or Inf/);
  });
});
