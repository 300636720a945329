// ot.slicedWassersteinDistance / ot.maxSlicedWassersteinDistance: POT fixtures (sliced.json) in
// float64 and float32 (values and gradients), POT's seeded directions, properties, agreement with
// wasserstein1d on the projected samples, finite-difference gradients, async parity, abort, bad input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture, tolerance } from './helpers/fixtures.js';
import { thrownOTError } from './helpers/ot-error.js';

const fixture = loadFixture('sliced');
const DTYPES = ['float64', 'float32'] as const;

describe('sliced Wasserstein: POT fixtures', () => {
  for (const c of fixture.cases) {
    for (const dtype of DTYPES) {
      const name = `n=${c.x_s.length} m=${c.x_t.length} d=${c.x_s[0].length} k=${c.projections[0].length} p=${c.p} ${dtype}`;
      it(`sliced and max-sliced ${name}`, () => {
        const xS = ot.tensor(c.x_s, { dtype, requiresGrad: true });
        const opts = { a: ot.tensor(c.a, { dtype }), b: ot.tensor(c.b, { dtype }), p: c.p, projections: ot.tensor(c.projections, { dtype }) };
        const sw = ot.slicedWassersteinDistance(xS, ot.tensor(c.x_t, { dtype }), opts);
        expect(sw.shape).toEqual([]);
        expect(sw.dtype).toBe(dtype);
        expectClose([sw.item()], [c.value], tolerance(dtype), 'value');
        sw.backward();
        expectClose(xS.grad!.data, c.grad_x_s, tolerance(dtype), 'grad x_s');
        const msw = ot.maxSlicedWassersteinDistance(ot.tensor(c.x_s, { dtype }), ot.tensor(c.x_t, { dtype }), opts);
        expectClose([msw.item()], [c.max_value], tolerance(dtype), 'max value');
      });
    }
  }
});

describe('sliced Wasserstein: directions', () => {
  it('an integer seed gives numpy RandomState(seed).randn(d, k) with unit columns (POT, numpy backend)', () => {
    // numpy.random.RandomState(0).randn(2, 2) = [[1.764052345967664, 0.4001572083672233], [0.9787379841057392, 2.240893199201458]]
    const P = ot.sliced.getRandomProjections(2, 2, 0);
    const c0 = Math.hypot(1.764052345967664, 0.9787379841057392), c1 = Math.hypot(0.4001572083672233, 2.240893199201458);
    expectClose(P.data, [1.764052345967664 / c0, 0.4001572083672233 / c1, 0.9787379841057392 / c0, 2.240893199201458 / c1], { rel: 1e-15, abs: 0 }, 'P');
    const x = ot.randn([30, 2], { seed: 1 }), y = ot.randn([20, 2], { seed: 2 });
    const seeded = ot.slicedWassersteinDistance(x, y, { nProjections: 7, seed: 3 }).item();
    const given = ot.slicedWassersteinDistance(x, y, { projections: ot.sliced.getRandomProjections(2, 7, 3) }).item();
    expect(seeded).toBe(given);
  });

  it('defaults to 50 directions from the global stream (ot.manualSeed)', () => {
    const x = ot.randn([30, 3], { seed: 1 }), y = ot.randn([20, 3], { seed: 2 });
    ot.manualSeed(11);
    const first = ot.slicedWassersteinDistance(x, y).item();
    ot.manualSeed(11);
    expect(ot.slicedWassersteinDistance(x, y).item()).toBe(first);
  });
});

const point = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 });
const cloud = fc.array(point, { minLength: 1, maxLength: 15 });

describe('sliced Wasserstein: properties', () => {
  const P = ot.sliced.getRandomProjections(3, 16, 0);

  it('a measure is at distance 0 from itself, and the distance is symmetric', () => {
    fc.assert(
      fc.property(cloud, cloud, fc.constantFrom(1, 2, 3), (x, y, p) => {
        const same = ot.slicedWassersteinDistance(x, x, { projections: P, p }).item();
        const xy = ot.slicedWassersteinDistance(x, y, { projections: P, p }).item();
        const yx = ot.slicedWassersteinDistance(y, x, { projections: P, p }).item();
        return same === 0 && Math.abs(xy - yx) <= 1e-12 * Math.max(1, xy);
      }),
    );
  });

  it('translating both clouds changes nothing; the max-sliced distance bounds the sliced one', () => {
    fc.assert(
      fc.property(cloud, cloud, point, fc.constantFrom(1, 2), (x, y, c, p) => {
        const base = ot.slicedWassersteinDistance(x, y, { projections: P, p }).item();
        const shift = (z: number[][]) => z.map((r) => r.map((v, i) => v + c[i]!));
        const moved = ot.slicedWassersteinDistance(shift(x), shift(y), { projections: P, p }).item();
        const max = ot.maxSlicedWassersteinDistance(x, y, { projections: P, p }).item();
        return Math.abs(moved - base) <= 1e-8 * Math.max(1, base) && max >= base * (1 - 1e-12);
      }),
    );
  });

  it('equals wasserstein1d of the projected samples, mean and max over the directions', () => {
    const x = ot.randn([60, 3], { seed: 4 }), y = ot.randn([45, 3], { seed: 5 }).add(0.3);
    const a = ot.rand([60], { seed: 6 }), b0 = ot.rand([45], { seed: 7 });
    const b = b0.mul(a.sum().item() / b0.sum().item());
    const project = (z: ot.Tensor): ot.Tensor => {
      const [rows, d] = z.shape as [number, number], k = P.shape[1]!;
      const out = new Float64Array(rows * k);
      for (let i = 0; i < rows; i++) for (let l = 0; l < k; l++) for (let e = 0; e < d; e++) out[i * k + l]! += z.data[i * d + e]! * P.data[e * k + l]!;
      return ot.tensor(out, { shape: [rows, k] });
    };
    const w = ot.wasserstein1d(project(x), project(y), { uWeights: a, vWeights: b, p: 1.5 }).data;
    const mean = Array.from(w).reduce((s, v) => s + v, 0) / w.length;
    expectClose([ot.slicedWassersteinDistance(x, y, { a, b, projections: P, p: 1.5 }).item()], [mean ** (1 / 1.5)], { rel: 1e-12, abs: 0 }, 'mean');
    expectClose([ot.maxSlicedWassersteinDistance(x, y, { a, b, projections: P, p: 1.5 }).item()], [Math.max(...w) ** (1 / 1.5)], { rel: 1e-12, abs: 0 }, 'max');
  });
});

function finiteDifference(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): number[] {
  return Array.from(x, (_, i) => {
    const up = x.slice(), down = x.slice();
    up[i]! += h;
    down[i]! -= h;
    return (f(up) - f(down)) / (2 * h);
  });
}

describe('sliced Wasserstein: gradients', () => {
  const P = ot.sliced.getRandomProjections(2, 5, 1);
  const xs = ot.randn([8, 2], { seed: 2 }), xt = ot.randn([6, 2], { seed: 3 }).add(0.7);
  for (const [name, f] of [['sliced', ot.slicedWassersteinDistance], ['max-sliced', ot.maxSlicedWassersteinDistance]] as const) {
    for (const p of [1.5, 2]) {
      it(`${name} p=${p} matches finite differences in xS and xT`, () => {
        const s = xs.clone().requiresGrad_(), t = xt.clone().requiresGrad_();
        f(s, t, { projections: P, p }).backward();
        const val = (a: Float64Array, b: Float64Array) => f(ot.tensor(a, { shape: [8, 2] }), ot.tensor(b, { shape: [6, 2] }), { projections: P, p }).item();
        const xsd = xs.data as Float64Array, xtd = xt.data as Float64Array;
        expectClose(s.grad!.data, finiteDifference((a) => val(a, xtd), xsd), { rel: 1e-6, abs: 1e-8 }, 'dxS');
        expectClose(t.grad!.data, finiteDifference((b) => val(xsd, b), xtd), { rel: 1e-6, abs: 1e-8 }, 'dxT');
      });
    }
  }

  it('the gradient is 0 (not NaN) where the distance is 0', () => {
    const x = ot.tensor([[0, 1], [2, 3]], { requiresGrad: true });
    ot.slicedWassersteinDistance(x, [[0, 1], [2, 3]], { projections: P }).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0, 0]);
  });
});

describe('sliced Wasserstein: async, abort and bad input', () => {
  it('async twins give the same values and gradients', async () => {
    const x = ot.randn([300, 5], { seed: 8, requiresGrad: true }), y = ot.randn([200, 5], { seed: 9 });
    for (const [sync, async] of [[ot.slicedWassersteinDistance, ot.slicedWassersteinDistanceAsync], [ot.maxSlicedWassersteinDistance, ot.maxSlicedWassersteinDistanceAsync]] as const) {
      const s = sync(x, y, { nProjections: 40, seed: 1 });
      const w = await async(x, y, { nProjections: 40, seed: 1 });
      expect(w.item()).toBe(s.item());
      x.grad = null;
      s.backward();
      const g = Array.from(x.grad!.data);
      x.grad = null;
      w.backward();
      expect(Array.from(x.grad!.data)).toEqual(g);
    }
  });

  it('rejects with ERR_OT_ABORTED for an aborted signal, before or while it runs', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(ot.slicedWassersteinDistanceAsync([[1]], [[2]], { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const x = ot.randn([20000, 4], { seed: 10, dtype: 'float32' });
    const live = new AbortController();
    const pending = ot.maxSlicedWassersteinDistanceAsync(x, x, { nProjections: 2000, seed: 0, signal: live.signal });
    live.abort();
    await expect(pending).rejects.toMatchObject({ name: 'OTError', code: 'ERR_OT_ABORTED' });
  });

  it('rejects bad input with an OTError naming the argument', async () => {
    const fail = (f: () => unknown): [string, string] => {
      const e = thrownOTError(f);
      return [e.code, e.message];
    };
    const sw = ot.slicedWassersteinDistance;
    expect(fail(() => sw([1, 2], [[1, 2]]))[0]).toBe('ERR_OT_SHAPE');
    expect(fail(() => sw([[1, 2]], [[1, 2, 3]]))).toEqual(['ERR_OT_SHAPE', 'slicedWassersteinDistance: xS has 2 features (columns) but xT has 3']);
    expect(fail(() => sw([[1, 2]], [[1, 2]], { projections: [[1, 0, 0]] }))[0]).toBe('ERR_OT_SHAPE');
    expect(fail(() => sw([[1, 2]], [[1, 2]], { nProjections: 0 }))[0]).toBe('ERR_OT_ARG');
    expect(fail(() => sw([[1, 2]], [[1, 2]], { seed: -1 }))[0]).toBe('ERR_OT_ARG');
    expect(fail(() => sw([[1, 2]], [[1, 2]], { p: 0 }))[0]).toBe('ERR_OT_VALUE');
    expect(fail(() => sw([[1, 2]], [[1, 2]], { reg: 1 } as never))[0]).toBe('ERR_OT_ARG');
    expect(fail(() => sw([[1, 2]], [[1, 2]], { a: [1, 2] }))[0]).toBe('ERR_OT_SHAPE');
    expect(fail(() => sw([[1, NaN]], [[1, 2]]))).toEqual(['ERR_OT_VALUE', 'slicedWassersteinDistance: xS must be finite, but entry 1 is NaN']);
    expect(fail(() => sw([[1, 2]], [[1, 2]], { b: [-1] }))).toEqual(['ERR_OT_VALUE', 'slicedWassersteinDistance: b must be >= 0, but entry 0 is -1']);
    expect(fail(() => ot.maxSlicedWassersteinDistance([[1, 2]], [[1, 2]], { projections: [[Infinity], [0]] }))[0]).toBe('ERR_OT_VALUE');
    await expect(ot.slicedWassersteinDistanceAsync([[1]], [[2]], { signal: {} as never })).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
  });
});
