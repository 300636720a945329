// POT's names for entropic OT: ot.sinkhorn (plan) and ot.sinkhorn2 (the linear cost <M, plan>, POT's
// sinkhorn2) agree with ot.solve, take POT's argument order and weight forms, and check their input.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';

describe('ot.sinkhorn / ot.sinkhorn2', () => {
  const M = ot.dist(ot.rand([6, 2], { seed: 1, dtype: 'float64' }), ot.rand([5, 2], { seed: 2, dtype: 'float64' }));
  const a = [0.1, 0.2, 0.3, 0.1, 0.2, 0.1];

  it('equal ot.solve: the plan and <M, plan> (not the regularised value, as POT)', () => {
    const res = ot.solve(M, ot.tensor(a, { dtype: 'float64' }), null, { reg: 0.1 });
    expect(Array.from(ot.sinkhorn(a, null, M, 0.1).data)).toEqual(Array.from(res.plan.data));
    expect(ot.sinkhorn2(a, [], M, 0.1).item()).toBe(res.valueLinear.item());
    expect(ot.sinkhorn2(a, [], M, 0.1, { method: 'sinkhorn_log' }).item()).toBe(res.valueLinear.item());
    expect(res.value.item()).not.toBe(res.valueLinear.item());
  });

  it('sinkhorn2 is differentiable w.r.t. M, like POT with torch tensors', () => {
    const Mg = M.clone().requiresGrad_(true);
    ot.sinkhorn2(null, null, Mg, 0.1).backward();
    const ref = M.clone().requiresGrad_(true);
    ot.solve(ref, { reg: 0.1 }).valueLinear.backward();
    expect(Array.from(Mg.grad!.data)).toEqual(Array.from(ref.grad!.data));
  });

  it('async twins give the same results', async () => {
    expect(Array.from((await ot.sinkhornAsync(a, null, M, 0.1)).data)).toEqual(Array.from(ot.sinkhorn(a, null, M, 0.1).data));
    expect((await ot.sinkhorn2Async(a, null, M, 0.1, { maxIter: 50 })).item()).toBe(ot.sinkhorn2(a, null, M, 0.1, { maxIter: 50 }).item());
  });

  it('rejects bad input with the argument named', () => {
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => ot.sinkhorn(a, null, M, 0), 'ERR_OT_VALUE', /^sinkhorn: reg must be a finite number > 0, got 0/);
    says(() => ot.sinkhorn2(a, null, M, 0.1, { method: 'greenkhorn' as never }), 'ERR_OT_ARG', /method must be one of 'sinkhorn', 'sinkhorn_log'/);
    says(() => ot.sinkhorn2(a, null, M, 0.1, { numItermax: 5 } as never), 'ERR_OT_ARG', /numItermax/);
    says(() => ot.sinkhorn([1, 2], null, M, 0.1), 'ERR_OT_SHAPE', /a has 2 entries but M has 6 rows/);
    says(() => ot.sinkhorn([0.5, NaN, 0, 0, 0, 0.5], null, M, 0.1), 'ERR_OT_VALUE', /a/);
  });

  it('a diverged solve is an error, never NaN values (they return no status)', async () => {
    const huge = ot.tensor([[1e-182], [1.797e308], [1], [2], [3], [4], [5]]);
    const w = ot.tensor([0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1]);
    expect(() => ot.sinkhorn2(w, [1], huge, 0.05, { maxIter: 100 })).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE', message: expect.stringMatching(/^sinkhorn2: Sinkhorn diverged/) }));
    await expect(ot.sinkhornAsync(w, [1], huge, 0.05)).rejects.toMatchObject({ code: 'ERR_OT_VALUE' });
  });
});
