// solveBatch follows ot.solve's rule: backward through a diverged problem is ERR_OT_VALUE, never a
// silent NaN gradient, in every grad mode that has one.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';

let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

describe('solveBatch backward on diverged problems', () => {
  for (const grad of ['envelope', 'autodiff', 'last_step'] as const) {
    it(`grad '${grad}': value.sum().backward() is refused`, () => {
      const M = ot.rand([3, 8, 9], { seed: 1 }).mul(1000).requiresGrad_(true);
      const res = ot.batch.solveBatch(M, { reg: 1e-4, solver: 'sinkhorn', grad, maxIter: 50 });
      expect(res.statusPerProblem).toContain('diverged');
      expect(() => res.value.sum().backward()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE', message: expect.stringContaining('diverged') as unknown }));
      expect(M.grad === null || Array.from(M.grad.data).every(Number.isFinite)).toBe(true);
    });
  }

  it("the issue's reproduction", () => {
    const M = ot.rand([3, 8, 9]).requiresGrad_(true);
    const res = ot.batch.solveBatch(M, { reg: 1e-4, solver: 'sinkhorn', grad: 'envelope' });
    if (res.statusPerProblem.includes('diverged')) {
      expect(() => res.value.sum().backward()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    } else {
      res.value.sum().backward();
      expect(Array.from(M.grad!.data).every(Number.isFinite)).toBe(true);
    }
  });

  it('converged problems still differentiate', () => {
    const M = ot.rand([3, 8, 9], { seed: 2 }).requiresGrad_(true);
    const res = ot.batch.solveBatch(M, { reg: 0.1, grad: 'envelope' });
    expect(res.status).toBe('converged');
    res.value.sum().backward();
    expect(Array.from(M.grad!.data).every(Number.isFinite)).toBe(true);
  });
});
