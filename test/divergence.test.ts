// ot.sinkhornDivergence against POT's empirical_sinkhorn_divergence (divergence.json: value and the
// gradient w.r.t. the source points, float64), its properties (0 between a measure and itself, symmetric,
// finite differences), the async twin, and bad input.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture, tolerance } from './helpers/fixtures.js';

const quiet = { tol: 1e-12, maxIter: 100000 };

describe('sinkhornDivergence vs POT (divergence.json)', () => {
  const fx = loadFixture('divergence');
  for (const c of fx.cases) {
    it(`n=${c.x_s.length} m=${c.x_t.length} reg=${c.reg}: value and grad w.r.t. xS`, () => {
      const xs = ot.tensor(c.x_s, { dtype: 'float64', requiresGrad: true });
      const S = ot.sinkhornDivergence(xs, ot.tensor(c.x_t, { dtype: 'float64' }), { a: c.a, b: c.b, reg: c.reg, ...quiet });
      expectClose([S.item()], [c.value], tolerance('float64'), 'value');
      S.backward();
      // POT's gradient is torch's autodiff through its Sinkhorn loop at stopThr 1e-12.
      expectClose(xs.grad!.data, c.grad_x_s, { rel: 1e-6, abs: 1e-10 }, 'grad_x_s');
    });
  }
});

describe('sinkhornDivergence properties', () => {
  const xs = ot.randn([30, 2], { seed: 1, dtype: 'float64' });
  const xt = ot.randn([25, 2], { seed: 2, dtype: 'float64' }).add(1);

  it('is 0 between a measure and itself, symmetric, and > 0 between different clouds', () => {
    expect(ot.sinkhornDivergence(xs, xs, { reg: 0.5, ...quiet }).item()).toBe(0);
    const st = ot.sinkhornDivergence(xs, xt, { reg: 0.5, ...quiet }).item();
    const ts = ot.sinkhornDivergence(xt, xs, { reg: 0.5, ...quiet }).item();
    expect(st).toBeGreaterThan(0);
    expect(Math.abs(st - ts)).toBeLessThan(1e-10 * st);
  });

  it('its gradient w.r.t. a point matches central finite differences', () => {
    const x = xs.clone().requiresGrad_(true);
    ot.sinkhornDivergence(x, xt, { reg: 0.5, ...quiet }).backward();
    const h = 1e-5;
    for (const k of [0, 7, 33]) {
      const at = (delta: number) => {
        const y = xs.clone();
        y.data[k] = y.data[k]! + delta;
        return ot.sinkhornDivergence(y, xt, { reg: 0.5, ...quiet }).item();
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(x.grad!.data[k]! - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    }
  });

  it('weights as arrays, tensors or omitted (uniform) give the same value', () => {
    const u = Array.from({ length: 30 }, () => 1 / 30);
    const a = ot.sinkhornDivergence(xs, xt, { reg: 0.5, a: u, ...quiet }).item();
    const b = ot.sinkhornDivergence(xs, xt, { reg: 0.5, a: ot.unif(30), ...quiet }).item();
    const c = ot.sinkhornDivergence(xs, xt, { reg: 0.5, ...quiet }).item();
    expect(a).toBe(c);
    expect(b).toBe(c);
  });

  it('the async twin gives the same value and gradient; an aborted signal rejects', async () => {
    const x1 = xs.clone().requiresGrad_(true);
    const x2 = xs.clone().requiresGrad_(true);
    const S1 = ot.sinkhornDivergence(x1, xt, { reg: 0.2, metric: 'euclidean', ...quiet });
    const S2 = await ot.sinkhornDivergenceAsync(x2, xt, { reg: 0.2, metric: 'euclidean', ...quiet });
    expect(S2.item()).toBe(S1.item());
    S1.backward();
    S2.backward();
    expect(Array.from(x2.grad!.data)).toEqual(Array.from(x1.grad!.data));
    await expect(ot.sinkhornDivergenceAsync(xs, xt, { reg: 0.2, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
  });

  it('rejects bad input with the argument named', () => {
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => ot.sinkhornDivergence(xs, xt, undefined as never), 'ERR_OT_ARG', /options \{ reg, \.\.\. \} are required/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 0 }), 'ERR_OT_VALUE', /reg must be a finite number > 0, got 0/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, lazy: true, metric: 'cityblock' }), 'ERR_OT_ARG', /lazy: true takes metric 'sqeuclidean' only/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, a: [1, 2] }), 'ERR_OT_SHAPE', /a has 2 entries but M has 30 rows/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, b: ['x'] as never }), 'ERR_OT_ARG', /b must be a Tensor or an array of numbers/);
    says(() => ot.sinkhornDivergence(xs, ot.randn([5, 3]), { reg: 1 }), 'ERR_OT_SHAPE', /.+/);
  });
});
