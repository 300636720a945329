// ot.solveSample / solveSampleAsync: every dense, exact, unbalanced, '1d' and lazy case of POT's
// solve_sample fixtures (sample.json) in float64 and float32, the option routing and the bad inputs.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, flat, loadFixture, tolerance } from './helpers/fixtures.js';
import { expectOTError } from './helpers/ot-error.js';

const fixture = loadFixture('sample');
const DTYPES = ['float64', 'float32'] as const;

// POT's option names → ours.
function options(o: Record<string, unknown>): ot.SolveSampleOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k === 'batch_size' ? 'batchSize' : k] = v;
  return out as ot.SolveSampleOptions;
}

/** The objective POT minimises for reg KL + unbalanced KL (its `value` drops the KLs' mass terms). */
function unbalancedObjective(c: ReturnType<typeof loadFixture>['cases'][number]): number {
  const P = c.plan as number[][], a = c.a as number[], b = c.b as number[];
  const { reg, unbalanced: u } = c.options as { reg: number; unbalanced: number };
  const kl = (p: number, q: number): number => (p > 0 ? p * Math.log(p / q) : 0) - p + q;
  const M = flat(ot.dist(ot.tensor(c.x_a), ot.tensor(c.x_b)).toArray());
  let lin = 0, klPlan = 0;
  const rows = new Array<number>(a.length).fill(0), cols = new Array<number>(b.length).fill(0);
  P.forEach((row, i) => row.forEach((p, j) => {
    lin += p * M[i * b.length + j]!;
    klPlan += kl(p, a[i]! * b[j]!);
    rows[i]! += p;
    cols[j]! += p;
  }));
  const klA = rows.reduce((s, r, i) => s + kl(r, a[i]!), 0), klB = cols.reduce((s, cj, j) => s + kl(cj, b[j]!), 0);
  return lin + reg * klPlan + u * (klA + klB);
}

describe('solveSample: POT fixtures', () => {
  for (const c of fixture.cases) {
    const o = options(c.options);
    for (const dtype of DTYPES) {
      const tol = tolerance(dtype);
      const name = `${JSON.stringify(c.options)} n=${c.x_a.length} m=${c.x_b.length} d=${c.x_a[0].length} ${dtype}`;
      it(name, async () => {
        const xA = ot.tensor(c.x_a, { dtype, requiresGrad: true });
        const xB = ot.tensor(c.x_b, { dtype, requiresGrad: true });
        // POT's method 'gaussian' ignores a and b (uniform weights); ours reads them, so it gets none here.
        const gauss = o.method === 'gaussian';
        const a = gauss ? null : ot.tensor(c.a, { dtype }), b = gauss ? null : ot.tensor(c.b, { dtype });
        const res = ot.solveSample(xA, xB, a, b, o);
        const unb = o.unbalanced !== undefined;
        // Unbalanced: POT's own answer is as tight as its stopping rule (README: 1e-4).
        const t = unb ? { rel: Math.max(tol.rel, 1e-4), abs: tol.abs } : tol;
        expectClose(flat(res.valueLinear.toArray()), flat(c.value_linear), t, 'value_linear');
        if (unb) expectClose([res.value.item()], [unbalancedObjective(c)], t, 'objective');
        else if (c.value !== null) expectClose(flat(res.value.toArray()), flat(c.value), t, 'value');
        if (o.lazy) {
          expect(res.plan).toBeNull();
          // The dense solve of the same problem gives the same value (POT leaves the lazy value None).
          const dense = ot.solveSample(xA, xB, a, b, { reg: o.reg });
          expectClose([res.value.item()], [dense.value.item()], t, 'lazy value vs dense');
          expectClose(flat(res.lazyPlan!.rows(0, c.x_a.length).toArray()), flat(dense.plan!.toArray()), t, 'lazy plan vs dense');
        } else if (c.plan !== null) {
          expectClose(flat(res.plan!.toArray()), flat(c.plan), t, 'plan');
        }
        if (c.potentials !== null) {
          const [u, v] = res.potentials!;
          // KL + KL unbalanced: POT's log u is ours minus log a (its kernel carries a b^T).
          const shift = (x: number[], w: number[]): number[] => (unb ? x.map((e, i) => e - Math.log(w[i]!)) : x);
          const pt = { rel: unb ? 1e-4 : dtype === 'float64' ? 1e-6 : 1e-3, abs: tol.abs };
          expectClose(shift(flat(u.toArray()), c.a), c.potentials[0], pt, 'potential u');
          expectClose(shift(flat(v.toArray()), c.b), c.potentials[1], pt, 'potential v');
        }
        if (c.grad_value_sum !== null && !unb) {
          res.value.sum().backward();
          const gt = { rel: dtype === 'float64' ? 1e-6 : 1e-3, abs: tol.abs };
          expectClose(flat(xA.grad!.toArray()), flat(c.grad_value_sum.x_a), gt, 'd/dxA');
          expectClose(flat(xB.grad!.toArray()), flat(c.grad_value_sum.x_b), gt, 'd/dxB');
        }
        const asyncRes = await ot.solveSampleAsync(xA.detach(), xB.detach(), a, b, o);
        expectClose(flat(asyncRes.valueLinear.toArray()), flat(res.valueLinear.toArray()), { rel: 1e-12, abs: 0 }, 'async');
      });
    }
  }
});

describe('solveSample: options and bad input', () => {
  const xA = ot.randn([12, 2], { seed: 3 }), xB = ot.randn([9, 2], { seed: 4 });

  it('reads an options object in a\'s place and passes metric to dist', () => {
    const r1 = ot.solveSample(xA, xB, { reg: 0.3, metric: 'euclidean' });
    const r2 = ot.solve(ot.dist(xA, xB, { metric: 'euclidean' }), { reg: 0.3 });
    expect(r1.value.item()).toBeCloseTo(r2.value.item(), 12);
    expect(r1.lazyPlan).toBeNull();
  });

  it('method gaussian: weights act as repeated points; gradient matches finite differences', () => {
    const x = ot.randn([6, 3], { seed: 21 }), y = ot.randn([5, 3], { seed: 22 }).mul(1.5).add(0.3);
    const w = ot.tensor([2, 1, 1, 1, 1, 1]);
    const dup = ot.tensor([...(x.toArray() as number[][]), (x.toArray() as number[][])[0]!]);
    const v1 = ot.solveSample(x, y, w, null, { method: 'gaussian' }).value.item();
    const v2 = ot.solveSample(dup, y, { method: 'gaussian' }).value.item();
    expect(v1).toBeCloseTo(v2, 12);
    const xg = ot.tensor(x.toArray() as number[][], { requiresGrad: true }), yg = ot.tensor(y.toArray() as number[][], { requiresGrad: true });
    ot.solveSample(xg, yg, w, null, { method: 'gaussian', reg: 1e-3 }).value.backward();
    const f = (px: number[], py: number[]): number =>
      ot.solveSample(ot.tensor(px).reshape([6, 3]), ot.tensor(py).reshape([5, 3]), w, null, { method: 'gaussian', reg: 1e-3 }).value.item();
    const px = flat(x.toArray()), py = flat(y.toArray()), h = 1e-6;
    const fdx = px.map((_, k) => { const p = px.slice(), q = px.slice(); p[k]! += h; q[k]! -= h; return (f(p, py) - f(q, py)) / (2 * h); });
    const fdy = py.map((_, k) => { const p = py.slice(), q = py.slice(); p[k]! += h; q[k]! -= h; return (f(px, p) - f(px, q)) / (2 * h); });
    expectClose(flat(xg.grad!.toArray()), fdx, { rel: 1e-6, abs: 1e-9 }, 'xA');
    expectClose(flat(yg.grad!.toArray()), fdy, { rel: 1e-6, abs: 1e-9 }, 'xB');
  });

  it('method 1d maps the metric to p', () => {
    const r = ot.solveSample(xA, xB, { method: '1d', metric: 'euclidean' });
    expectClose(flat(r.value.toArray()), flat(ot.wasserstein1d(xA, xB, { p: 1 }).toArray()), { rel: 1e-12, abs: 0 });
    expect(r.plan).toBeNull();
    expect(r.potentials).toBeNull();
  });

  const bad: [string, () => unknown, string][] = [
    ['unknown option', () => ot.solveSample(xA, xB, { reg: 1, nope: 1 } as never), 'ERR_OT_ARG'],
    ['unknown metric', () => ot.solveSample(xA, xB, { metric: 'hamming' as never }), 'ERR_OT_ARG'],
    ['gaussian with lazy', () => ot.solveSample(xA, xB, { method: 'gaussian', lazy: true }), 'ERR_OT_ARG'],
    ['gaussian euclidean', () => ot.solveSample(xA, xB, { method: 'gaussian', metric: 'euclidean' }), 'ERR_OT_ARG'],
    ['gaussian negative reg', () => ot.solveSample(xA, xB, { method: 'gaussian', reg: -1 }), 'ERR_OT_VALUE'],
    ['gaussian column mismatch', () => ot.solveSample(xA, ot.randn([4, 3]), { method: 'gaussian' }), 'ERR_OT_SHAPE'],
    ['1d with reg', () => ot.solveSample(xA, xB, { method: '1d', reg: 1 }), 'ERR_OT_ARG'],
    ['1d with cosine', () => ot.solveSample(xA, xB, { method: '1d', metric: 'cosine' }), 'ERR_OT_ARG'],
    ['batchSize without lazy', () => ot.solveSample(xA, xB, { reg: 1, batchSize: 10 }), 'ERR_OT_ARG'],
    ['lazy without reg', () => ot.solveSample(xA, xB, { lazy: true }), 'ERR_OT_ARG'],
    ['lazy unbalanced', () => ot.solveSample(xA, xB, { lazy: true, reg: 1, unbalanced: 1 }), 'ERR_OT_ARG'],
    ['lazy autodiff', () => ot.solveSample(xA, xB, { lazy: true, reg: 1, grad: 'autodiff' }), 'ERR_OT_ARG'],
    ['lazy euclidean', () => ot.solveSample(xA, xB, { lazy: true, reg: 1, metric: 'euclidean' }), 'ERR_OT_ARG'],
    ['lazy entropy', () => ot.solveSample(xA, xB, { lazy: true, reg: 1, regType: 'entropy' }), 'ERR_OT_ARG'],
    ['lazy with a precomputed cost', () => ot.solveSample(ot.dist(xA, xB), null as never, { lazy: true, reg: 1 }), 'ERR_OT_ARG'],
    ['lazy flag not boolean', () => ot.solveSample(xA, xB, { lazy: 1 as never, reg: 1 }), 'ERR_OT_ARG'],
    ['lazy negative reg', () => ot.solveSample(xA, xB, { lazy: true, reg: -1 }), 'ERR_OT_VALUE'],
    ['lazy bad batchSize', () => ot.solveSample(xA, xB, { lazy: true, reg: 1, batchSize: 0 }), 'ERR_OT_ARG'],
    ['lazy column mismatch', () => ot.solveSample(xA, ot.randn([9, 3]), { lazy: true, reg: 1 }), 'ERR_OT_SHAPE'],
    ['lazy unequal masses', () => ot.solveSample(xA, xB, ot.ones([12]), null, { lazy: true, reg: 1 }), 'ERR_OT_VALUE'],
    ['lazy NaN point', () => ot.solveSample(ot.tensor([[0, NaN], [1, 1]]), xB, { lazy: true, reg: 1 }), 'ERR_OT_VALUE'],
    ['lazy negative weight', () => ot.solveSample(xA, xB, ot.tensor([...new Array(11).fill(0.1), -0.1]), null, { lazy: true, reg: 1 }), 'ERR_OT_VALUE'],
    ['solve with lazy', () => ot.solve(ot.dist(xA, xB), { reg: 1, lazy: true } as never), 'ERR_OT_ARG'],
  ];
  for (const [name, f, code] of bad) {
    it(`${name} → ${code}`, () => expectOTError(f, code, /^solveSample: |^solve: /));
  }

  it('the async twin rejects bad input and honours an aborted signal', async () => {
    await expect(ot.solveSampleAsync(xA, xB, { lazy: true })).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
    const ac = new AbortController();
    ac.abort();
    const big = ot.randn([3000, 3], { seed: 1 });
    await expect(ot.solveSampleAsync(big, big, { lazy: true, reg: 1e-3, maxIter: 100000, signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const ac2 = new AbortController();
    const p = ot.solveSampleAsync(big, big, { lazy: true, reg: 1e-3, maxIter: 100000, tol: 0, signal: ac2.signal });
    setTimeout(() => ac2.abort(), 50);
    const t0 = Date.now();
    await expect(p).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
