// A value that rounding has swamped is never reported 'converged': for reg huge against M the entropic
// value is reg times a tiny difference of potentials, and float32 (from reg ~1e4 on costs ~1) or
// float64 (from ~1e13) loses it. Such solves are 'diverged' (warned, backward refused).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';

let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

function solveAt(dtype: ot.DType, reg: number) {
  const x = ot.rand([5, 2], { seed: 1, dtype });
  const y = ot.rand([6, 2], { seed: 2, dtype });
  const M = ot.dist(x, y).requiresGrad_(true);
  return { M, res: ot.solve(M, ot.unif(5, { dtype }), ot.unif(6, { dtype }), { reg }) };
}

/** The value in float64 at a moderate reg, where it is exact to rounding: the reference for the others. */
const exact = (reg: number) => solveAt('float64', reg).res.value.item();

describe('entropic value precision', () => {
  it('float32 at reg 1e8 (value -4.9 for 0.35) is diverged, not converged', () => {
    const { M, res } = solveAt('float32', 1e8);
    expect(res.status).toBe('diverged');
    expect(() => res.value.backward()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(M.grad).toBeNull();
    // Its plan, built on read, is the one the solve would have written (the status tells what it is worth).
    expect(res.plan.shape).toEqual([5, 6]);
  });

  it('float64 at reg 1e20 (value -22204) is diverged', () => {
    expect(solveAt('float64', 1e20).res.status).toBe('diverged');
  });

  it('every value marked converged is accurate (float32 1e-4 relative, float64 1e-9)', () => {
    for (const reg of [0.05, 1, 10, 1e3, 1e5, 1e8]) {
      for (const dtype of ['float32', 'float64'] as const) {
        const { res } = solveAt(dtype, reg);
        if (res.status !== 'converged') continue;
        const ref = exact(reg);
        const tol = dtype === 'float32' ? 1e-4 : 1e-9;
        expect([dtype, reg, Math.abs(res.value.item() - ref) / Math.abs(ref)]).toEqual([dtype, reg, expect.any(Number)]);
        expect(Math.abs(res.value.item() - ref) / Math.abs(ref), `${dtype} reg ${reg}`).toBeLessThan(tol);
      }
    }
  });

  it('ordinary regularisations stay converged in both dtypes', () => {
    for (const reg of [0.05, 1, 100]) {
      expect(solveAt('float32', reg).res.status).toBe('converged');
      expect(solveAt('float64', reg).res.status).toBe('converged');
    }
    expect(solveAt('float64', 1e8).res.status).toBe('converged');
  });
});

describe('subnormal weights', () => {
  it('are not a divergence: converged, finite value, backward allowed', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const x = ot.rand([4, 2], { seed: 1, dtype });
      const M = ot.dist(x, x).requiresGrad_(true);
      const a = ot.tensor([0.5, 0.5 - 1e-310, 1e-310, 0], { dtype: 'float64' });
      const res = ot.solve(M, a, ot.unif(4), { reg: 0.1 });
      expect(res.status, dtype).toBe('converged');
      // The same problem with the subnormal mass dropped: the same value.
      const ref = ot.solve(M.detach(), ot.tensor([0.5, 0.5, 0, 0], { dtype: 'float64' }), ot.unif(4), { reg: 0.1 });
      expect(res.value.item()).toBeCloseTo(ref.value.item(), dtype === 'float32' ? 5 : 12);
      res.value.backward();
      expect(Array.from(M.grad!.data).every(Number.isFinite)).toBe(true);
    }
  });
});
