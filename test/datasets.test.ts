// Toy data sets (POT: ot.datasets) and the numpy RandomState stream behind them: equality with POT's
// numbers for the same seeds (datasets.json), reproducibility, shapes, class balance, bad input.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture } from './helpers/fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx = loadFixture('datasets').cases as unknown as Record<string, any[]>;
// Same stream as numpy; only libm's last-ulp differences (log, exp, BLAS dot) may remain.
const tight = { rel: 1e-14, abs: 0 };

describe('RandomState matches numpy', () => {
  for (const c of fx.random_state!) {
    it(`seed ${c.seed}`, () => {
      const rs = new ot.datasets.RandomState(c.seed);
      expectClose(rs.randn(7), c.randn, tight, 'randn');
      expectClose(rs.rand(5), c.rand, { rel: 0, abs: 0 }, 'rand'); // integer arithmetic only: exact
      expectClose(rs.uniform(-2, 3, 4), c.uniform, { rel: 0, abs: 0 }, 'uniform');
      // The draws above leave a cached gauss value behind (7 is odd): numpy returns it next.
      expectClose(rs.randn(3), c.randn_after, tight, 'randn after');
    });
  }

  it('rejects seeds numpy rejects', () => {
    expect(() => new ot.datasets.RandomState(-1)).toThrow(ot.OTError);
    expect(() => new ot.datasets.RandomState(2 ** 32)).toThrow(/seed/);
    expect(() => new ot.datasets.RandomState(1.5)).toThrow(/seed/);
  });
});

describe('makeDataClassif matches POT', () => {
  for (const c of fx.classif!) {
    it(`${c.dataset} n=${c.n} ${JSON.stringify(c.opts)} seed=${c.seed}`, () => {
      const { X, y } = ot.datasets.makeDataClassif(c.dataset, c.n, { ...c.opts, seed: c.seed });
      expect(X.dtype).toBe('float64');
      expect(X.shape).toEqual([c.y.length, 2]);
      expect(y).toBeInstanceOf(Int32Array);
      expect(Array.from(y)).toEqual(c.y);
      expectClose(X.data, c.X, tight, 'X');
    });
  }

  it('is reproducible for a seed and varies with it', () => {
    const a = ot.datasets.makeDataClassif('3gauss', 60, { seed: 7 });
    const b = ot.datasets.makeDataClassif('3gauss', 60, { seed: 7 });
    const c = ot.datasets.makeDataClassif('3gauss', 60, { seed: 8 });
    expect(Array.from(a.X.data)).toEqual(Array.from(b.X.data));
    expect(Array.from(a.X.data)).not.toEqual(Array.from(c.X.data));
    ot.manualSeed(3);
    const d = ot.datasets.makeDataClassif('gaussrot', 10);
    ot.manualSeed(3);
    const e = ot.datasets.makeDataClassif('gaussrot', 10);
    expect(Array.from(d.X.data)).toEqual(Array.from(e.X.data));
  });

  it('balances the classes and places them around their centres', () => {
    const { X, y } = ot.datasets.makeDataClassif('3gauss2', 3000, { nz: 0.1, seed: 1 });
    const count = [1, 2, 3].map((k) => y.filter((c) => c === k).length);
    expect(count).toEqual([1000, 1000, 1000]);
    const centre = { 1: [-2, -2], 2: [-2, 2], 3: [2, 0] } as Record<number, number[]>;
    for (const k of [1, 2, 3]) {
      const rows = [...y.keys()].filter((i) => y[i] === k);
      const mean = [0, 1].map((j) => rows.reduce((s, i) => s + X.data[2 * i + j]!, 0) / rows.length);
      expectClose(mean, centre[k]!, { rel: 0, abs: 0.05 }, `class ${k} mean`);
    }
    const rot = ot.datasets.makeDataClassif('gaussrot', 101, { seed: 0 });
    expect(rot.y.filter((c) => c === 1).length).toBe(51); // floor(i/n·2) + 1 puts the middle sample in class 1
  });

  it('rejects unknown datasets and options', () => {
    expect(() => ot.datasets.makeDataClassif('moons' as never, 10)).toThrow(/dataset must be one of/);
    expect(() => ot.datasets.makeDataClassif('3gauss', 10, { noise: 1 } as never)).toThrow(/unknown option 'noise'/);
    expect(() => ot.datasets.makeDataClassif('3gauss', 10, { nz: 0 })).toThrow(/nz must be/);
    expect(() => ot.datasets.makeDataClassif('3gauss', -1)).toThrow(/n must be/);
    expect(() => ot.datasets.makeDataClassif('3gauss', 10, { seed: -3 })).toThrow(/seed must be/);
  });
});

describe('make1DGauss and make2DSamplesGauss match POT', () => {
  for (const c of fx.gauss1d!) {
    it(`make1DGauss(${c.n}, ${c.m}, ${c.s})`, () => {
      const h = ot.datasets.make1DGauss(c.n, c.m, c.s);
      expect(h.shape).toEqual([c.n]);
      expectClose(h.data, c.h, tight, 'h');
      expect(Math.abs(Array.from(h.data).reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-14);
    });
  }
  for (const c of fx.gauss2d!) {
    it(`make2DSamplesGauss(${c.n}, ${JSON.stringify(c.m)}, ${JSON.stringify(c.sigma)})`, () => {
      const X = ot.datasets.make2DSamplesGauss(c.n, c.m, c.sigma, { seed: c.seed });
      expect(X.shape).toEqual([c.n, 2]);
      expectClose(X.data, c.X, { rel: 1e-13, abs: 0 }, 'X');
    });
  }

  it('rejects a covariance that is not symmetric positive semi-definite', () => {
    expect(() => ot.datasets.make2DSamplesGauss(3, [0, 0], [[1, 2], [2, 1]])).toThrow(/positive semi-definite/);
    expect(() => ot.datasets.make2DSamplesGauss(3, [0, 0, 0], 1)).toThrow(/m must be/);
    expect(() => ot.datasets.make1DGauss(10, 3, 0)).toThrow(/s must be/);
  });
});
