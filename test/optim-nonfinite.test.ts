// Optimisers refuse a step whose gradient holds NaN or +-Infinity (torch applies it and leaves NaN
// parameters): ERR_OT_VALUE, and no parameter changes.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';

describe('non-finite gradients', () => {
  for (const make of [(p: ot.Tensor[]) => new ot.optim.Adam(p, { lr: 0.1 }), (p: ot.Tensor[]) => new ot.optim.SGD(p, { lr: 0.1 })]) {
    it(`${make([ot.zeros([1], { requiresGrad: true })]).constructor.name}: an Infinity loss is refused and leaves the parameters as they were`, () => {
      const u = ot.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
      const w = ot.tensor([4, 5], { dtype: 'float64', requiresGrad: true });
      const opt = make([w, u]);
      // d/du of (1e200 u)^2 overflows to Infinity.
      u.mul(1e200).pow(2).sum().add(w.sum()).backward();
      expect(Number.isFinite(u.grad!.data[0]!)).toBe(false);
      expect(() => opt.step()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE', message: expect.stringContaining('params[1].grad') as unknown }));
      expect(Array.from(u.data)).toEqual([1, 2, 3]);
      expect(Array.from(w.data)).toEqual([4, 5]); // not updated although its gradient was finite
      // With finite gradients the next step runs.
      opt.zeroGrad();
      u.pow(2).sum().add(w.sum()).backward();
      opt.step();
      expect(Array.from(u.data).every(Number.isFinite)).toBe(true);
      expect(u.data[0]).not.toBe(1);
    });
  }

  it('a NaN gradient is refused too', () => {
    const u = ot.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const opt = new ot.optim.Adam([u]);
    u.grad = ot.tensor([NaN, 0], { dtype: 'float32' });
    expect(() => opt.step()).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(Array.from(u.data)).toEqual([1, 2]);
  });
});
