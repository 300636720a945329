// ot.bregman.barycenter against POT (barycenter.json, bregman cases): POT's log-domain method for the
// given weights, and POT's default method with uniform weights, where both of POT's methods agree.
// With unequal weights POT's default (scaling) method converges elsewhere (scripts/fixtures/barycenter.py
// says why); ours is the log-domain fixed point, and its objective is the lower one.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture, tolerance } from './helpers/fixtures.js';

const fx = loadFixture('barycenter');
const opts = { tol: 1e-12, maxIter: 1000 };

describe('bregman.barycenter vs POT (barycenter.json)', () => {
  for (const c of fx.cases.filter((c) => c.kind === 'bregman')) {
    const k = c.A[0].length;
    it(`${k} histograms, reg=${c.reg}: POT's sinkhorn_log for the given weights, and POT's default for uniform ones`, () => {
      expectClose(ot.bregman.barycenter(c.A, c.M, c.reg, { weights: c.weights, ...opts }).data, c.barycenter_log, tolerance('float64'), 'weighted');
      expectClose(ot.bregman.barycenter(c.A, c.M, c.reg, opts).data, c.barycenter_uniform, tolerance('float64'), 'uniform');
    });
  }

  it('is a histogram, and does not depend on the order of the histograms', () => {
    const c = fx.cases.find((c) => c.kind === 'bregman' && c.A[0].length === 3)!;
    const b = ot.bregman.barycenter(c.A, c.M, c.reg, { weights: c.weights, ...opts });
    expect(Math.abs(b.sum().item() - 1)).toBeLessThan(1e-9);
    expect(Math.min(...b.data)).toBeGreaterThanOrEqual(0);
    const order = [2, 0, 1];
    const A = c.A.map((r: number[]) => order.map((k) => r[k]));
    const swapped = ot.bregman.barycenter(A, c.M, c.reg, { weights: order.map((k) => c.weights[k]), ...opts });
    expectClose(swapped.data, b.data, { rel: 1e-9, abs: 1e-12 }, 'permuted');
  });

  it('rejects bad input with the argument named', () => {
    const c = fx.cases[0];
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => ot.bregman.barycenter(c.A, c.M, 0), 'ERR_OT_VALUE', /reg must be a finite number > 0/);
    says(() => ot.bregman.barycenter(c.A, c.M, 0.01, { weights: [1] }), 'ERR_OT_SHAPE', /weights has 1 entries but A has 2 histograms/);
    says(() => ot.bregman.barycenter(c.A, [[0, 1], [1, 0]], 0.01), 'ERR_OT_SHAPE', /M must be \[40, 40\]/);
    says(() => ot.bregman.barycenter([[-1, 1]], [[0]], 0.01), 'ERR_OT_VALUE', /A/);
    says(() => ot.bregman.barycenter(c.A, c.M, 0.01, { numItermax: 3 } as never), 'ERR_OT_ARG', /numItermax/);
  });

  it('barycenterAsync gives the sync result, copies its inputs, and honours AbortSignal', async () => {
    const c = fx.cases.find((c) => c.kind === 'bregman' && c.A[0].length === 3)!;
    const sync = ot.bregman.barycenter(c.A, c.M, c.reg, { weights: c.weights, ...opts });
    const A = ot.tensor(c.A, { dtype: 'float64' });
    const pending = ot.bregman.barycenterAsync(A, c.M, c.reg, { weights: c.weights, ...opts });
    A.data.fill(0); // after the call: the running job works on its own copy
    expectClose((await pending).data, sync.data, { rel: 0, abs: 0 }, 'async');
    const ac = new AbortController();
    ac.abort();
    await expect(ot.bregman.barycenterAsync(c.A, c.M, c.reg, { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    // A long solve (tol 0: never converges early) stops soon after the signal fires.
    const late = new AbortController();
    const t0 = Date.now();
    const run = ot.bregman.barycenterAsync(c.A, c.M, 1e-3, { tol: 0, maxIter: 2 ** 30, signal: late.signal });
    setTimeout(() => late.abort(), 50);
    await expect(run).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(ot.bregman.barycenterAsync(c.A, c.M, -1)).rejects.toMatchObject({ code: 'ERR_OT_VALUE' });
  });

  it('float32 in gives float32 out, close to the float64 result', () => {
    const c = fx.cases.find((c) => c.kind === 'bregman')!;
    const b32 = ot.bregman.barycenter(ot.tensor(c.A, { dtype: 'float32' }), ot.tensor(c.M, { dtype: 'float32' }), c.reg, { weights: c.weights, ...opts });
    expect(b32.dtype).toBe('float32');
    expectClose(b32.data, c.barycenter_log, tolerance('float32'), 'float32');
  });
});

