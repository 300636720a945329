// ot.sinkhornDivergence with lazy: true: POT's empirical_sinkhorn_divergence (divergence.json) and the dense
// path, value and gradients (the implicit gradient of <C, plan> against the dense path's autodiff and against
// finite differences), float32, the async twin, bad input, and memory: forward + backward at n = m = 20000
// in float32 (a child process) grows peak RSS far below the 1.5 GiB one dense cost matrix would need.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture, tolerance } from './helpers/fixtures.js';

const quiet = { tol: 1e-12, maxIter: 100000 };

let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
});
afterAll(() => warn.mockRestore());

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e;
}
function maxAbs(a: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]!));
  return e;
}
function centred(t: ot.Tensor): number[] {
  const v = Array.from(t.data);
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return v.map((x) => x - m);
}

describe('lazy sinkhornDivergence vs POT (divergence.json)', () => {
  const fx = loadFixture('divergence');
  for (const c of fx.cases) {
    it(`n=${c.x_s.length} m=${c.x_t.length} reg=${c.reg}: value and grad w.r.t. xS`, () => {
      const xs = ot.tensor(c.x_s, { dtype: 'float64', requiresGrad: true });
      const S = ot.sinkhornDivergence(xs, ot.tensor(c.x_t, { dtype: 'float64' }), { a: c.a, b: c.b, reg: c.reg, lazy: true, ...quiet });
      expectClose([S.item()], [c.value], tolerance('float64'), 'value');
      S.backward();
      expectClose(xs.grad!.data, c.grad_x_s, { rel: 1e-6, abs: 1e-10 }, 'grad_x_s');
    });
  }
});

describe('lazy sinkhornDivergence == dense', () => {
  // Problems whose three Sinkhorn solves all reach tol (the symmetric ones converge slowest).
  const cases = [
    { n: 30, m: 25, d: 2, reg: 1, shift: 1 },
    { n: 40, m: 33, d: 3, reg: 0.5, shift: 0.5 },
    { n: 9, m: 14, d: 5, reg: 2, shift: 0 },
    { n: 300, m: 280, d: 2, reg: 1, shift: 1 }, // a thread team in the passes
  ];
  for (const c of cases) {
    it(`n=${c.n} m=${c.m} d=${c.d} reg=${c.reg}: value, grads w.r.t. xS, xT, a, b`, () => {
      const xs = ot.randn([c.n, c.d], { seed: c.n, dtype: 'float64' });
      const xt = ot.randn([c.m, c.d], { seed: c.m + 7, dtype: 'float64' }).add(c.shift);
      const wa = ot.rand([c.n], { seed: 3, dtype: 'float64' }).add(0.2);
      const wb = ot.rand([c.m], { seed: 4, dtype: 'float64' }).add(0.2);
      const a0 = wa.div(wa.sum().item()), b0 = wb.div(wb.sum().item());
      const run = (lazy: boolean) => {
        const x = xs.clone().requiresGrad_(true), y = xt.clone().requiresGrad_(true);
        const a = a0.clone().requiresGrad_(true), b = b0.clone().requiresGrad_(true);
        const S = ot.sinkhornDivergence(x, y, { a, b, reg: c.reg, lazy, ...quiet });
        S.backward();
        return { S: S.item(), x: x.grad!.data, y: y.grad!.data, a: centred(a.grad!), b: centred(b.grad!) };
      };
      const dense = run(false), lazy = run(true);
      expect(Math.abs(lazy.S - dense.S)).toBeLessThanOrEqual(1e-10 * Math.abs(dense.S));
      for (const k of ['x', 'y', 'a', 'b'] as const) {
        expect(maxAbsDiff(lazy[k], dense[k]), k).toBeLessThanOrEqual(1e-7 * maxAbs(dense[k]));
      }
    });
  }

  it('float32 clouds: within 1e-4 of the float64 dense path', () => {
    const xs = ot.randn([60, 2], { seed: 1, dtype: 'float64' }), xt = ot.randn([50, 2], { seed: 2, dtype: 'float64' }).add(1);
    const x32 = xs.to('float32').requiresGrad_(true), x64 = xs.clone().requiresGrad_(true);
    const S32 = ot.sinkhornDivergence(x32, xt.to('float32'), { reg: 1, lazy: true, tol: 1e-6 });
    const S64 = ot.sinkhornDivergence(x64, xt, { reg: 1, ...quiet });
    expect(S32.dtype).toBe('float32');
    expect(Math.abs(S32.item() - S64.item())).toBeLessThanOrEqual(1e-4 * S64.item());
    S32.backward();
    S64.backward();
    expect(maxAbsDiff(x32.grad!.data, x64.grad!.data)).toBeLessThanOrEqual(1e-4 * maxAbs(x64.grad!.data));
  });

  it('its gradients w.r.t. both clouds match central finite differences', () => {
    const xs = ot.randn([20, 2], { seed: 5, dtype: 'float64' }), xt = ot.randn([17, 2], { seed: 6, dtype: 'float64' }).add(0.7);
    const x = xs.clone().requiresGrad_(true), y = xt.clone().requiresGrad_(true);
    const opts = { reg: 0.5, lazy: true, ...quiet };
    ot.sinkhornDivergence(x, y, opts).backward();
    const h = 1e-5;
    for (const [which, base, grad] of [['x', xs, x.grad!], ['y', xt, y.grad!]] as const) {
      for (const k of [0, 9, 25]) {
        const at = (delta: number) => {
          const p = base.clone();
          p.data[k] = p.data[k]! + delta;
          return which === 'x' ? ot.sinkhornDivergence(p, xt, opts).item() : ot.sinkhornDivergence(xs, p, opts).item();
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(grad.data[k]! - fd), `${which}[${k}]`).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it('is 0 between a cloud and itself, with a zero gradient', () => {
    const x = ot.randn([25, 3], { seed: 9, dtype: 'float64' }).requiresGrad_(true);
    const S = ot.sinkhornDivergence(x, x.detach(), { reg: 0.7, lazy: true, ...quiet });
    expect(Math.abs(S.item())).toBeLessThan(1e-12);
    S.backward();
    expect(maxAbs(x.grad!.data)).toBeLessThan(1e-8);
  });

  it('the async twin gives the same value and gradient; an aborted signal rejects', async () => {
    const xs = ot.randn([40, 2], { seed: 1, dtype: 'float64' }), xt = ot.randn([30, 2], { seed: 2, dtype: 'float64' }).add(1);
    const x1 = xs.clone().requiresGrad_(true), x2 = xs.clone().requiresGrad_(true);
    const S1 = ot.sinkhornDivergence(x1, xt, { reg: 0.5, lazy: true, ...quiet });
    const S2 = await ot.sinkhornDivergenceAsync(x2, xt, { reg: 0.5, lazy: true, ...quiet });
    expect(S2.item()).toBe(S1.item());
    S1.backward();
    S2.backward();
    expect(Array.from(x2.grad!.data)).toEqual(Array.from(x1.grad!.data));
    await expect(ot.sinkhornDivergenceAsync(xs, xt, { reg: 0.5, lazy: true, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const big = ot.randn([3000, 3], { seed: 3 });
    const ac = new AbortController();
    const p = ot.sinkhornDivergenceAsync(big, big.add(1), { reg: 0.01, lazy: true, maxIter: 1e6, tol: 0, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
  });

  it('rejects bad input with the argument named', () => {
    const xs = ot.randn([10, 2], { seed: 1 }), xt = ot.randn([8, 2], { seed: 2 });
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, lazy: 'yes' } as never), 'ERR_OT_ARG', /lazy must be a boolean/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, lazy: true, metric: 'euclidean' }), 'ERR_OT_ARG', /lazy: true takes metric 'sqeuclidean' only/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, batchSize: 64 }), 'ERR_OT_ARG', /batchSize applies to lazy: true/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, lazy: true, batchSize: 0 }), 'ERR_OT_ARG', /batchSize/);
    says(() => ot.sinkhornDivergence(xs, ot.randn([8, 3]), { reg: 1, lazy: true }), 'ERR_OT_SHAPE', /xS and xT must have the same number of columns/);
    says(() => ot.sinkhornDivergence(ot.dist(xs, xt), null as never, { reg: 1, lazy: true }), 'ERR_OT_ARG', /xT must be a Tensor/);
    says(() => ot.sinkhornDivergence(ot.randn([10]), xt, { reg: 1, lazy: true }), 'ERR_OT_SHAPE', /xS must be 2-d/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, lazy: true, a: [1, 2] }), 'ERR_OT_SHAPE', /a/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: 1, lazy: true, a: Array(10).fill(0.2) }), 'ERR_OT_VALUE', /same positive mass/);
    says(() => ot.sinkhornDivergence(xs, xt, { reg: -1, lazy: true }), 'ERR_OT_VALUE', /reg/);
  });
});

describe('lazy sinkhornDivergence memory', () => {
  it('forward + backward at n = m = 20000 (float32) grows peak RSS far below a dense cost matrix', () => {
    const lib = fileURLToPath(new URL('../lib/index.ts', import.meta.url));
    const workload = `
import * as ot from ${JSON.stringify(lib)};
process.emitWarning = () => {};
const x = ot.randn([20000, 3], { seed: 0, dtype: 'float32', requiresGrad: true });
const y = ot.randn([20000, 3], { seed: 1, dtype: 'float32' }).add(0.5).requiresGrad_(true);
ot.sinkhornDivergence(ot.randn([64, 3], { dtype: 'float32' }), ot.randn([64, 3], { dtype: 'float32' }), { reg: 1, lazy: true, maxIter: 2, tol: 0 });
globalThis.gc?.();
const before = process.memoryUsage().rss;
const S = ot.sinkhornDivergence(x, y, { reg: 1, lazy: true, maxIter: 2, tol: 0 });
S.backward();
const peak = process.resourceUsage().maxRSS * 1024;
let finite = Number.isFinite(S.item());
for (const v of x.grad.data) finite &&= Number.isFinite(v);
for (const v of y.grad.data) finite &&= Number.isFinite(v);
console.log(JSON.stringify({ growth: peak - before, finite }));
`;
    const stdout = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', workload], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 170_000,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { growth: number; finite: boolean };
    expect(r.finite).toBe(true);
    // One dense float32 [20000, 20000] matrix is 1526 MiB; the lazy passes need O(n + m).
    expect(r.growth).toBeLessThan(128 * 1024 * 1024);
  }, 180_000);
});
