// ot.wasserstein1d / ot.emd1d / ot.emd21d: POT fixtures (exact.json's 1-D cases) in float64 and
// float32, properties (self-distance, symmetry, translation, brute force on tiny problems, plan
// marginals), columns, finite-difference gradients, async parity, abort and bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture, tolerance } from './helpers/fixtures.js';
import { thrownOTError } from './helpers/ot-error.js';

const fixture = loadFixture('exact');
const DTYPES = ['float64', 'float32'] as const;
const t = (v: number[], dtype: ot.DType = 'float64', requiresGrad = false): ot.Tensor => ot.tensor(v, { dtype, requiresGrad });

describe('1-D exact OT: POT fixtures', () => {
  for (const c of fixture.cases.filter((k) => k.kind === 'wasserstein_1d')) {
    for (const dtype of DTYPES) {
      it(`wasserstein1d n=${c.u_values.length} m=${c.v_values.length} p=${c.p} ${dtype}`, () => {
        const w = ot.wasserstein1d(t(c.u_values, dtype), t(c.v_values, dtype), { uWeights: t(c.u_weights, dtype), vWeights: t(c.v_weights, dtype), p: c.p });
        expect(w.shape).toEqual([]);
        expect(w.dtype).toBe(dtype);
        expectClose([w.item()], [c.value], tolerance(dtype), 'value');
      });
    }
  }
  for (const c of fixture.cases.filter((k) => k.kind === 'emd_1d')) {
    for (const dtype of DTYPES) {
      it(`emd1d / emd21d n=${c.x_a.length} m=${c.x_b.length} ${c.metric} ${dtype}`, () => {
        const opts = { a: t(c.a, dtype), b: t(c.b, dtype), metric: c.metric };
        const plan = ot.emd1d(t(c.x_a, dtype), t(c.x_b, dtype), opts);
        expect(plan.shape).toEqual([c.x_a.length, c.x_b.length]);
        expect(plan.dtype).toBe(dtype);
        expectClose(plan.data, c.plan, tolerance(dtype), 'plan');
        expectClose([ot.emd21d(t(c.x_a, dtype), t(c.x_b, dtype), opts).item()], [c.value], tolerance(dtype), 'value');
        const sparse = ot.emd1d(t(c.x_a, dtype), t(c.x_b, dtype), { ...opts, dense: false });
        expect(sparse.shape).toEqual([c.x_a.length, c.x_b.length]);
        expect(sparse.values.length).toBeLessThanOrEqual(c.x_a.length + c.x_b.length - 1);
        const dense = new Float64Array(c.x_a.length * c.x_b.length);
        sparse.values.forEach((v, i) => (dense[sparse.rows[i]! * c.x_b.length + sparse.cols[i]!]! += v));
        expectClose(dense, c.plan, tolerance(dtype), 'sparse plan');
      });
    }
  }
});

// ---- references ----

/** min over permutations of the mean of |x_i - y_s(i)|^p: exact OT for n = m uniform atoms. */
function bruteForce(x: number[], y: number[], p: number): number {
  let best = Infinity;
  const used = new Array<boolean>(y.length).fill(false);
  const go = (i: number, acc: number): void => {
    if (acc >= best) return;
    if (i === x.length) {
      best = acc;
      return;
    }
    for (let j = 0; j < y.length; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, acc + Math.abs(x[i]! - y[j]!) ** p / x.length);
      used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

const coord = fc.double({ min: -10, max: 10, noNaN: true });
const sample = (min: number, max: number) => fc.array(coord, { minLength: min, maxLength: max });
const exponent = fc.constantFrom(1, 1.5, 2, 3);

describe('1-D exact OT: properties', () => {
  it('a measure is at distance 0 from itself', () => {
    fc.assert(fc.property(sample(1, 30), exponent, (x, p) => ot.wasserstein1d(x, x, { p }).item() === 0));
  });

  it('is symmetric', () => {
    fc.assert(
      fc.property(sample(1, 20), sample(1, 20), exponent, (x, y, p) => {
        const xy = ot.wasserstein1d(x, y, { p }).item();
        const yx = ot.wasserstein1d(y, x, { p }).item();
        return Math.abs(xy - yx) <= 1e-12 * Math.max(1, xy);
      }),
    );
  });

  it('translating both samples changes nothing; translating one by c costs |c|^p against itself', () => {
    fc.assert(
      fc.property(sample(1, 20), sample(1, 20), fc.double({ min: -5, max: 5, noNaN: true }), exponent, (x, y, c, p) => {
        const base = ot.wasserstein1d(x, y, { p }).item();
        const moved = ot.wasserstein1d(x.map((v) => v + c), y.map((v) => v + c), { p }).item();
        const shift = ot.wasserstein1d(x, x.map((v) => v + c), { p }).item();
        return Math.abs(moved - base) <= 1e-9 * Math.max(1, base) && Math.abs(shift - Math.abs(c) ** p) <= 1e-9 * Math.max(1, Math.abs(c) ** p);
      }),
    );
  });

  it('emd21d equals a brute force over permutations on tiny problems', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(fc.array(coord, { minLength: n, maxLength: n }), fc.array(coord, { minLength: n, maxLength: n }))), exponent, ([x, y], p) => {
        const got = ot.emd21d(x, y, { metric: 'minkowski', p }).item();
        const want = bruteForce(x, y, p);
        return Math.abs(got - want) <= 1e-9 * Math.max(1, want);
      }),
    );
  });

  it('emd1d plans have the right marginals, no negative entry and at most n + m - 1 non-zeros', () => {
    const weights = (len: number) => fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: len, maxLength: len }).filter((w) => w.some((v) => v > 1e-3));
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })).chain(([n, m]) => fc.tuple(fc.array(coord, { minLength: n, maxLength: n }), fc.array(coord, { minLength: m, maxLength: m }), weights(n), weights(m))),
        ([x, y, a0, b0]) => {
          const sa = a0.reduce((s, v) => s + v, 0), sb = b0.reduce((s, v) => s + v, 0);
          const a = a0.map((v) => v / sa), b = b0.map((v) => v / sb);
          const plan = ot.emd1d(x, y, { a, b });
          const P = plan.data, n = x.length, m = y.length;
          let nonZero = 0;
          for (let i = 0; i < n; i++) {
            let row = 0;
            for (let j = 0; j < m; j++) {
              if (P[i * m + j]! < 0) return false;
              if (P[i * m + j]! > 0) nonZero++;
              row += P[i * m + j]!;
            }
            if (Math.abs(row - a[i]!) > 1e-12) return false;
          }
          for (let j = 0; j < m; j++) {
            let col = 0;
            for (let i = 0; i < n; i++) col += P[i * m + j]!;
            if (Math.abs(col - b[j]! * (1 / b.reduce((s, v) => s + v, 0))) > 1e-12) return false;
          }
          // The value is <M, plan> with M = |x - y|^2.
          let cost = 0;
          for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) cost += P[i * m + j]! * (x[i]! - y[j]!) ** 2;
          const value = ot.emd21d(x, y, { a, b }).item();
          return nonZero <= n + m - 1 && Math.abs(value - cost) <= 1e-12 * Math.max(1, cost);
        },
      ),
    );
  });

  it('solves the columns of [n, k] samples independently, with [n] weights shared by every column', () => {
    const u = ot.randn([40, 3], { seed: 1 }), v = ot.randn([30, 3], { seed: 2 });
    const uw = ot.rand([40], { seed: 3 }), vw = ot.rand([30], { seed: 4 });
    const all = ot.wasserstein1d(u, v, { uWeights: uw, vWeights: vw, p: 2 });
    expect(all.shape).toEqual([3]);
    const col = (x: ot.Tensor, c: number) => Array.from({ length: x.shape[0]! }, (_, i) => x.data[i * 3 + c]!);
    const repeat = (w: ot.Tensor) => ot.tensor(Array.from(w.data).map((v) => [v, v, v]));
    const perColumn = ot.wasserstein1d(u, v, { uWeights: repeat(uw), vWeights: repeat(vw), p: 2 });
    for (let c = 0; c < 3; c++) {
      const one = ot.wasserstein1d(col(u, c), col(v, c), { uWeights: uw, vWeights: vw, p: 2 }).item();
      expect(all.data[c]).toBe(one);
      expect(perColumn.data[c]).toBe(one);
    }
  });

  it('float32 agrees with float64', () => {
    const u = ot.randn([500, 2], { seed: 5 }), v = ot.randn([300, 2], { seed: 6 }).add(0.5);
    const w64 = ot.wasserstein1d(u, v, { p: 1.5 });
    const w32 = ot.wasserstein1d(u.to('float32'), v.to('float32'), { p: 1.5 });
    expect(w32.dtype).toBe('float32');
    expectClose(w32.data, w64.data, { rel: 1e-5, abs: 1e-7 }, 'float32 vs float64');
  });
});

// ---- gradients ----

function finiteDifference(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const up = x.slice(), down = x.slice();
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

describe('1-D exact OT: gradients', () => {
  // Well-separated positions: a step of h never reorders the samples, so the value is smooth there.
  const x = [0.1, 1.3, -0.7, 2.2, 0.55, -1.9];
  const y = [0.4, -0.2, 1.75, 3.1, -1.05];
  const a = [0.1, 0.2, 0.25, 0.15, 0.2, 0.1];
  const b = [0.3, 0.1, 0.2, 0.25, 0.15];
  for (const p of [1.5, 2, 3]) {
    it(`wasserstein1d p=${p} matches finite differences in u and v`, () => {
      const u = t(x, 'float64', true), v = t(y, 'float64', true);
      ot.wasserstein1d(u, v, { uWeights: a, vWeights: b, p }).backward();
      const f = (uu: number[], vv: number[]) => ot.wasserstein1d(uu, vv, { uWeights: a, vWeights: b, p }).item();
      expectClose(u.grad!.data, finiteDifference((uu) => f(uu, y), x), { rel: 1e-6, abs: 1e-8 }, 'du');
      expectClose(v.grad!.data, finiteDifference((vv) => f(x, vv), y), { rel: 1e-6, abs: 1e-8 }, 'dv');
    });
  }

  it('wasserstein1d over columns: the incoming gradient scales each column', () => {
    const U = ot.tensor(x.map((v) => [v, -v]), { requiresGrad: true });
    const V = ot.tensor(y.map((v) => [v, 2 * v]));
    ot.wasserstein1d(U, V, { p: 2 }).mul(ot.tensor([3, -0.5])).sum().backward();
    const f = (flatU: number[]) => {
      const w = ot.wasserstein1d(ot.tensor(Float64Array.from(flatU), { shape: [x.length, 2] }), V, { p: 2 }).data;
      return 3 * w[0]! - 0.5 * w[1]!;
    };
    expectClose(U.grad!.data, finiteDifference(f, x.flatMap((v) => [v, -v])), { rel: 1e-6, abs: 1e-8 }, 'dU');
  });

  it('emd21d matches finite differences in xA and xB (b rescaled to a)', () => {
    const xa = t(x, 'float64', true), xb = t(y, 'float64', true);
    const b2 = b.map((v) => v * 2);
    ot.emd21d(xa, xb, { a, b: b2.map((v) => v / 2), metric: 'sqeuclidean' }).backward();
    const f = (u: number[], v: number[]) => ot.emd21d(u, v, { a, b: b2.map((w) => w / 2) }).item();
    expectClose(xa.grad!.data, finiteDifference((u) => f(u, y), x), { rel: 1e-6, abs: 1e-8 }, 'dxA');
    expectClose(xb.grad!.data, finiteDifference((v) => f(x, v), y), { rel: 1e-6, abs: 1e-8 }, 'dxB');
  });

  it('float32 gradients follow float64 ones', () => {
    const u64 = t(x, 'float64', true), u32 = t(x, 'float32', true);
    ot.wasserstein1d(u64, y, { p: 2 }).backward();
    ot.wasserstein1d(u32, t(y, 'float32'), { p: 2 }).backward();
    expect(u32.grad!.dtype).toBe('float32');
    expectClose(u32.grad!.data, u64.grad!.data, { rel: 1e-5, abs: 1e-7 }, 'float32 grad');
  });
});

describe('1-D exact OT: async, abort and bad input', () => {
  it('async twins give the same values and gradients', async () => {
    const u = ot.randn([200, 4], { seed: 7, requiresGrad: true }), v = ot.randn([150, 4], { seed: 8 });
    const s = ot.wasserstein1d(u, v, { p: 2 });
    const w = await ot.wasserstein1dAsync(u, v, { p: 2 });
    expect(Array.from(w.data)).toEqual(Array.from(s.data));
    s.sum().backward();
    const g1 = Array.from(u.grad!.data);
    u.grad = null;
    w.sum().backward();
    expect(Array.from(u.grad!.data)).toEqual(g1);
    const x = [0, 3, 1, 2], y = [0.5, 2.5];
    expect((await ot.emd1dAsync(x, y)).toArray()).toEqual(ot.emd1d(x, y).toArray());
    expect(Array.from((await ot.emd1dAsync(x, y, { dense: false })).values)).toEqual(Array.from(ot.emd1d(x, y, { dense: false }).values));
    expect((await ot.emd21dAsync(x, y, { metric: 'cityblock' })).item()).toBe(ot.emd21d(x, y, { metric: 'cityblock' }).item());
  });

  it('rejects with ERR_OT_ABORTED for an aborted signal, before or while it runs', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(ot.wasserstein1dAsync([1, 2], [3], { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    await expect(ot.emd1dAsync([1, 2], [3], { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    await expect(ot.emd21dAsync([1, 2], [3], { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const live = new AbortController();
    const u = ot.randn([1000, 2000], { seed: 9, dtype: 'float32' });
    const pending = ot.wasserstein1dAsync(u, u, { signal: live.signal });
    live.abort();
    await expect(pending).rejects.toMatchObject({ name: 'OTError', code: 'ERR_OT_ABORTED' });
  });

  it('rejects bad input with an OTError naming the argument', async () => {
    const code = (f: () => unknown) => {
      const e = thrownOTError(f);
      return [e.code, e.message];
    };
    expect(code(() => ot.wasserstein1d('x' as never, [1]))[0]).toBe('ERR_OT_ARG');
    expect(code(() => ot.wasserstein1d([[1, 2]], [1]))[0]).toBe('ERR_OT_SHAPE');
    expect(code(() => ot.wasserstein1d([[1, 2]], [[1, 2, 3]]))[0]).toBe('ERR_OT_SHAPE');
    expect(code(() => ot.wasserstein1d([], [1]))[0]).toBe('ERR_OT_SHAPE');
    expect(code(() => ot.wasserstein1d([1, 2], [1], { p: 0.5 }))[0]).toBe('ERR_OT_VALUE');
    expect(code(() => ot.wasserstein1d([1, 2], [1], { q: 2 } as never))[0]).toBe('ERR_OT_ARG');
    expect(code(() => ot.wasserstein1d([1, 2], [1], { uWeights: [1, 2, 3] }))[0]).toBe('ERR_OT_SHAPE');
    expect(code(() => ot.wasserstein1d([1, NaN], [1]))).toEqual(['ERR_OT_VALUE', 'wasserstein1d: u must be finite, but entry 1 is NaN']);
    expect(code(() => ot.wasserstein1d([1, 2], [1], { uWeights: [1, -1] }))).toEqual(['ERR_OT_VALUE', 'wasserstein1d: uWeights must be >= 0, but entry 1 is -1']);
    expect(code(() => ot.wasserstein1d([1e300, -1e300], [0], { p: 3 }))[0]).toBe('ERR_OT_VALUE');
    expect(code(() => ot.emd1d([1, 2], [1], { a: [0.5, 0.5], b: [2] }))[0]).toBe('ERR_OT_VALUE');
    expect(code(() => ot.emd21d([1, 2], [1], { a: [0.5, 0.5], b: [2] }))).toEqual(['ERR_OT_VALUE', 'emd21d: a and b must have the same total mass, got 1 and 2']);
    expect(code(() => ot.emd21d([1, 2], [1], { a: [1.5, -0.5] }))).toEqual(['ERR_OT_VALUE', 'emd21d: a must be >= 0, but entry 1 is -0.5']);
    expect(code(() => ot.emd1d([1, 2], [Infinity]))).toEqual(['ERR_OT_VALUE', 'emd1d: xB must be finite, but entry 0 is Infinity']);
    expect(code(() => ot.emd1d([1, 2], [1], { metric: 'chebyshev' as never }))[0]).toBe('ERR_OT_ARG');
    expect(code(() => ot.emd1d([[1, 2]], [1]))[0]).toBe('ERR_OT_SHAPE');
    expect(code(() => ot.emd1d([1, 2], [1], { dense: 'no' as never }))[0]).toBe('ERR_OT_ARG');
    await expect(ot.wasserstein1dAsync([1, 2], [1], { signal: 'stop' as never })).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
    await expect(ot.emd21dAsync([1, NaN], [1])).rejects.toMatchObject({ code: 'ERR_OT_VALUE' });
  });
});
