// ot.lp.barycenter against POT (barycenter.json, lp cases; tolerance 1e-5 as the reference set states for
// POT's interior-point solve), its properties, and bad input.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture } from './helpers/fixtures.js';

const fx = loadFixture('barycenter');
const lpCases = fx.cases.filter((c) => c.kind === 'lp');

describe('lp.barycenter vs POT (barycenter.json)', () => {
  for (const c of lpCases) {
    it(`${c.A[0].length} histograms on ${c.A.length} bins`, async () => {
      const b = await ot.lp.barycenter(c.A, c.M, { weights: c.weights });
      expect(b.shape).toEqual([c.A.length]);
      expectClose(b.data, c.barycenter, { rel: 1e-5, abs: 1e-9 }, 'barycenter');
    }, 30_000);
  }

  it('is a histogram of the common mass, the barycenter of a histogram with itself is that histogram, float32 stays float32', async () => {
    // Random histograms on a 1-d grid with the squared distance.
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      async (n, k, seed) => {
        let s = seed;
        const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) + 0.01;
        const cols = Array.from({ length: k }, () => {
          const v = Array.from({ length: n }, rnd);
          const t = v.reduce((x, y) => x + y, 0);
          return v.map((x) => x / t);
        });
        const A = Array.from({ length: n }, (_, i) => cols.map((c) => c[i]!));
        const M = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i - j) ** 2));
        const b = await ot.lp.barycenter(A, M);
        expect(Math.abs(b.data.reduce((x, y) => x + y, 0) - 1)).toBeLessThan(1e-7);
        expect(Math.min(...b.data)).toBeGreaterThanOrEqual(0);
        const same = await ot.lp.barycenter(A.map((r) => [r[0]!, r[0]!]), M);
        expectClose(same.data, cols[0]!, { rel: 1e-6, abs: 1e-9 }, 'barycenter of a histogram with itself');
      }), { numRuns: 15 });
    const c = lpCases[0];
    const b32 = await ot.lp.barycenter(ot.tensor(c.A, { dtype: 'float32' }), c.M, { weights: c.weights });
    expect(b32.dtype).toBe('float32');
  }, 60_000);

  it('rejects bad input with the argument named', async () => {
    const c = lpCases[0];
    const says = (p: Promise<unknown>, code: string, re: RegExp) => expect(p).rejects.toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    await says(ot.lp.barycenter(c.A, c.M, { weights: [1] }), 'ERR_OT_SHAPE', /weights has 1 entries but A has 2 histograms/);
    await says(ot.lp.barycenter(c.A, [[0, 1], [1, 0]]), 'ERR_OT_SHAPE', /M must be \[40, 40\]/);
    await says(ot.lp.barycenter([[-1, 1]], [[0]]), 'ERR_OT_VALUE', /A/);
    await says(ot.lp.barycenter([[0.5, 0.2], [0.5, 0.2]], [[0, 1], [1, 0]]), 'ERR_OT_VALUE', /equal masses/);
    await says(ot.lp.barycenter([[NaN, 1]], [[0]]), 'ERR_OT_VALUE', /A/);
    await says(ot.lp.barycenter(c.A, c.M, { weights: [0.5, -0.5] }), 'ERR_OT_VALUE', /weights/);
    await says(ot.lp.barycenter(c.A, c.M, { reg: 1 } as never), 'ERR_OT_ARG', /reg/);
    await says(ot.lp.barycenter('x' as never, c.M), 'ERR_OT_ARG', /A must be/);
  });
});
