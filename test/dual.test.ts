// Dual OT losses and plans (POT: ot.stochastic.loss_dual_*, plan_dual_*): fixtures in float64 and
// float32, finite differences for every metric and weight, a naive reference on a multi-threaded size,
// async twins, and bad input.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { lastJson, runChild } from './helpers/child.js';
import { expectClose, loadFixture, tolerance } from './helpers/fixtures.js';

type Kind = 'entropic' | 'quadratic';
type DType = 'float32' | 'float64';
const loss = { entropic: ot.stochastic.lossDualEntropic, quadratic: ot.stochastic.lossDualQuadratic };
const lossAsync = { entropic: ot.stochastic.lossDualEntropicAsync, quadratic: ot.stochastic.lossDualQuadraticAsync };
const plan = { entropic: ot.stochastic.planDualEntropic, quadratic: ot.stochastic.planDualQuadratic };
const planAsync = { entropic: ot.stochastic.planDualEntropicAsync, quadratic: ot.stochastic.planDualQuadraticAsync };

const fixture = loadFixture('dual');

describe('dual losses and plans vs POT', () => {
  for (const c of fixture.cases) {
    const n = c.u.length;
    const m = c.v.length;
    for (const dtype of ['float64', 'float32'] as DType[]) {
      const title = `${c.kind} ${n}x${m} d=${c.xs[0].length} reg=${c.reg}${c.ws ? ' weighted' : ''} ${dtype}`;
      it(title, () => {
        const tol = tolerance(dtype);
        const u = ot.tensor(c.u, { dtype, requiresGrad: true });
        const v = ot.tensor(c.v, { dtype, requiresGrad: true });
        const xs = ot.tensor(c.xs, { dtype, requiresGrad: true });
        const xt = ot.tensor(c.xt, { dtype, requiresGrad: true });
        const w = c.ws ? { ws: ot.tensor(c.ws, { dtype }), wt: ot.tensor(c.wt, { dtype }) } : {};
        const L = loss[c.kind as Kind](u, v, xs, xt, { reg: c.reg, ...w });
        expect(L.dtype).toBe(dtype);
        expect(L.shape).toEqual([]);
        expectClose([L.item()], [c.loss], tol, 'loss');
        L.backward();
        expectClose(u.grad!.data, c.grad.u, tol, 'grad u');
        expectClose(v.grad!.data, c.grad.v, tol, 'grad v');
        expectClose(xs.grad!.data, c.grad.xs, tol, 'grad xs');
        expectClose(xt.grad!.data, c.grad.xt, tol, 'grad xt');
        const G = plan[c.kind as Kind](u.detach(), v.detach(), xs.detach(), xt.detach(), { reg: c.reg, ...w });
        expect(G.shape).toEqual([n, m]);
        expect(G.dtype).toBe(dtype);
        expectClose(G.data, c.plan, tol, 'plan');
      });
    }
  }
});

/** Naive float64 reference of POT's formulas (M built explicitly), for checking the fused kernel. */
function reference(kind: Kind, u: number[], v: number[], xs: number[][], xt: number[][], reg: number, ws?: number[], wt?: number[]): number {
  const n = u.length;
  const m = v.length;
  const a = ws ?? u.map(() => 1 / n);
  const b = wt ?? v.map(() => 1 / m);
  let s = 0;
  for (let i = 0; i < n; i++) s += u[i]! * a[i]!;
  for (let j = 0; j < m; j++) s += v[j]! * b[j]!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let M = 0;
      for (let k = 0; k < xs[0]!.length; k++) M += (xs[i]![k]! - xt[j]![k]!) ** 2;
      const z = u[i]! + v[j]! - M;
      const F = kind === 'entropic' ? -reg * Math.exp(z / reg) : (-1 / (4 * reg)) * Math.max(z, 0) ** 2;
      s += a[i]! * F * b[j]!;
    }
  }
  return s;
}

function randomProblem(n: number, m: number, d: number, seed: number) {
  return {
    u: ot.randn([n], { seed, requiresGrad: true }),
    v: ot.randn([m], { seed: seed + 1, requiresGrad: true }),
    xs: ot.rand([n, d], { seed: seed + 2, requiresGrad: true }),
    xt: ot.rand([m, d], { seed: seed + 3, requiresGrad: true }),
    ws: ot.rand([n], { seed: seed + 4, requiresGrad: true }),
    wt: ot.rand([m], { seed: seed + 5, requiresGrad: true }),
  };
}

describe('dual losses: gradients by finite differences', () => {
  const metrics: ot.stochastic.DualMetric[] = ['sqeuclidean', 'euclidean', 'cityblock', 'minkowski', 'chebyshev', 'cosine'];
  for (const kind of ['entropic', 'quadratic'] as Kind[]) {
    for (const metric of metrics) {
      it(`${kind} ${metric}: u, v, xs, xt, ws, wt`, () => {
        const pb = randomProblem(7, 6, 3, 11);
        // Quadratic: shift the potentials so that some pairs are active and some are not.
        if (kind === 'quadratic') pb.u.data.forEach((x, i) => (pb.u.data[i] = x + 0.5));
        const reg = kind === 'entropic' ? 0.7 : 0.2;
        const opts = { reg, ws: pb.ws, wt: pb.wt, metric, p: 3 };
        const f = (): number => loss[kind](pb.u.detach(), pb.v.detach(), pb.xs.detach(), pb.xt.detach(), { ...opts, ws: pb.ws.detach(), wt: pb.wt.detach() }).item();
        const L = loss[kind](pb.u, pb.v, pb.xs, pb.xt, opts);
        L.mul(2.5).backward(); // a non-unit incoming gradient exercises the scaling
        for (const [name, t] of Object.entries(pb)) {
          const h = 1e-6;
          const fd = Array.from(t.data, (x, i) => {
            t.data[i] = x + h;
            const up = f();
            t.data[i] = x - h;
            const down = f();
            t.data[i] = x;
            return (2.5 * (up - down)) / (2 * h);
          });
          expectClose(t.grad!.data, fd, { rel: 2e-6, abs: 1e-8 }, `${name} grad`);
        }
      });
    }
  }

  it('skips gradients nobody asked for, and sums both when xs is xt', () => {
    const pb = randomProblem(5, 5, 2, 3);
    const u = pb.u.detach();
    const L = ot.stochastic.lossDualEntropic(u, pb.v, pb.xs, pb.xs, { reg: 1 });
    L.backward();
    expect(u.grad).toBeNull();
    expect(pb.xs.grad).not.toBeNull();
    const x2 = pb.xs.detach().clone().detach().requiresGrad_(true);
    const x3 = pb.xs.detach().clone().detach().requiresGrad_(true);
    ot.stochastic.lossDualEntropic(u, pb.v.detach(), x2, x3, { reg: 1 }).backward();
    const summed = Array.from(x2.grad!.data, (g, i) => g + x3.grad!.data[i]!);
    expectClose(pb.xs.grad!.data, summed, tolerance('float64'), 'xs is xt');
    expect(ot.stochastic.lossDualEntropic(u, pb.v.detach(), pb.xs.detach(), pb.xt.detach()).requiresGrad).toBe(false);
  });

  it('gives the same gradient for one input whichever others require grad', () => {
    for (const kind of ['entropic', 'quadratic'] as Kind[]) {
      const all = randomProblem(6, 7, 2, 13);
      loss[kind](all.u, all.v, all.xs, all.xt, { reg: 0.3, ws: all.ws, wt: all.wt, metric: 'euclidean' }).backward();
      for (const name of ['u', 'v', 'xs', 'xt', 'ws', 'wt'] as const) {
        const one = randomProblem(6, 7, 2, 13);
        for (const [k, t] of Object.entries(one)) if (k !== name) t.requiresGrad_(false);
        loss[kind](one.u, one.v, one.xs, one.xt, { reg: 0.3, ws: one.ws, wt: one.wt, metric: 'euclidean' }).backward();
        expect(Array.from(one[name].grad!.data), `${kind} ${name}`).toEqual(Array.from(all[name].grad!.data));
      }
    }
  });
});

describe('dual losses: sizes that split across threads', () => {
  for (const kind of ['entropic', 'quadratic'] as Kind[]) {
    it(`${kind} 700x650 matches a naive reference; grads sum to the marginal gaps`, () => {
      const n = 700;
      const m = 650;
      const pb = randomProblem(n, m, 2, 5);
      const reg = kind === 'entropic' ? 0.5 : 0.05;
      const L = loss[kind](pb.u, pb.v, pb.xs, pb.xt, { reg });
      const nest = (t: ot.Tensor) => t.toArray() as number[][];
      const want = reference(kind, Array.from(pb.u.data), Array.from(pb.v.data), nest(pb.xs), nest(pb.xt), reg);
      expectClose([L.item()], [want], { rel: 1e-12, abs: 0 }, 'loss');
      L.backward();
      const G = plan[kind](pb.u, pb.v, pb.xs, pb.xt, { reg });
      // d loss / du_i = ws_i − Σ_j G_ij and d loss / dv_j = wt_j − Σ_i G_ij.
      const du = Array.from({ length: n }, (_, i) => 1 / n - Array.from(G.data.subarray(i * m, (i + 1) * m)).reduce((s, x) => s + x, 0));
      const dv = Array.from({ length: m }, (_, j) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += G.data[i * m + j]!;
        return 1 / m - s;
      });
      expectClose(pb.u.grad!.data, du, { rel: 1e-10, abs: 1e-14 }, 'du');
      expectClose(pb.v.grad!.data, dv, { rel: 1e-10, abs: 1e-14 }, 'dv');
      // d loss / dxs_i = 2 Σ_j G_ij (xs_i − xt_j) for the squared euclidean cost.
      const dxs0 = Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < m; j++) s += 2 * G.data[i * m + j]! * (pb.xs.data[2 * i]! - pb.xt.data[2 * j]!);
        return s;
      });
      expectClose(Array.from({ length: n }, (_, i) => pb.xs.grad!.data[2 * i]!), dxs0, { rel: 1e-10, abs: 1e-14 }, 'dxs');
    });
  }

  it('float32 agrees with float64', () => {
    const pb = randomProblem(300, 280, 4, 9);
    const f64 = ot.stochastic.lossDualEntropic(pb.u, pb.v, pb.xs, pb.xt, { reg: 0.3 });
    const f32 = ot.stochastic.lossDualEntropic(pb.u.detach().to('float32'), pb.v.detach().to('float32'),
      pb.xs.detach().to('float32'), pb.xt.detach().to('float32'), { reg: 0.3 });
    expect(f32.dtype).toBe('float32');
    expectClose([f32.item()], [f64.item()], { rel: 1e-5, abs: 0 }, 'loss');
  });

  it('mixed dtypes promote to float64 and stay differentiable', () => {
    const pb = randomProblem(6, 5, 2, 1);
    const u32 = pb.u.detach().to('float32').requiresGrad_(true);
    const L = ot.stochastic.lossDualQuadratic(u32, pb.v, pb.xs, pb.xt, { reg: 0.1 });
    expect(L.dtype).toBe('float64');
    L.backward();
    expect(u32.grad!.dtype).toBe('float32');
  });
});

describe('dual losses: async twins', () => {
  it('give the same loss, gradients and plan', async () => {
    const pb = randomProblem(40, 30, 2, 21);
    for (const kind of ['entropic', 'quadratic'] as Kind[]) {
      const reg = kind === 'entropic' ? 0.5 : 0.05;
      const a = loss[kind](pb.u, pb.v, pb.xs, pb.xt, { reg });
      const b = await lossAsync[kind](pb.u, pb.v, pb.xs, pb.xt, { reg });
      expect(b.item()).toBe(a.item());
      a.backward();
      const ga = Array.from(pb.u.grad!.data);
      pb.u.grad = null;
      b.backward();
      expect(Array.from(pb.u.grad!.data)).toEqual(ga);
      pb.u.grad = null;
      const G = await planAsync[kind](pb.u, pb.v, pb.xs, pb.xt, { reg });
      expect(Array.from(G.data)).toEqual(Array.from(plan[kind](pb.u, pb.v, pb.xs, pb.xt, { reg }).data));
    }
  });

  it('stop a running kernel when the signal aborts', async () => {
    const n = 20000;
    const m = 5000;
    const xs = ot.rand([n, 2], { seed: 1 });
    const xt = ot.rand([m, 2], { seed: 2 });
    const u = ot.zeros([n], { requiresGrad: true });
    const v = ot.zeros([m]);
    const ac = new AbortController();
    const started = performance.now();
    const pending = ot.stochastic.lossDualEntropicAsync(u, v, xs, xt, { signal: ac.signal });
    ac.abort(); // the worker polls the flag every 16 rows, long before its 10^8 pairs are done
    await expect(pending).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    const plan = ot.stochastic.planDualQuadraticAsync(ot.zeros([3]), ot.zeros([2]), ot.rand([3, 2]), ot.rand([2, 2]), { signal: ac.signal });
    await expect(plan).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('reject with ERR_OT_ABORTED for an aborted signal', async () => {
    const pb = randomProblem(10, 10, 2, 2);
    const ac = new AbortController();
    ac.abort();
    await expect(ot.stochastic.lossDualEntropicAsync(pb.u, pb.v, pb.xs, pb.xt, { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_OT_ABORTED' });
  });
});

describe('dual losses: bad input', () => {
  const pb = randomProblem(5, 4, 2, 7);
  const { u, v, xs, xt } = pb;
  const code = (f: () => unknown, c: string, msg?: RegExp) => {
    expect(f).toThrow(ot.OTError);
    try {
      f();
    } catch (e) {
      expect((e as ot.OTError).code).toBe(c);
      if (msg) expect((e as Error).message).toMatch(msg);
    }
  };
  it('rejects shape mismatches', () => {
    code(() => ot.stochastic.lossDualEntropic(v, v, xs, xt), 'ERR_OT_SHAPE', /lossDualEntropic: u has 4 entries but xs has 5 rows/);
    code(() => ot.stochastic.lossDualEntropic(u, u, xs, xt), 'ERR_OT_SHAPE', /v has 5 entries but xt has 4 rows/);
    code(() => ot.stochastic.lossDualEntropic(u, v, xs, ot.rand([4, 3])), 'ERR_OT_SHAPE', /features/);
    code(() => ot.stochastic.lossDualQuadratic(u, v, xs.reshape([10]), xt), 'ERR_OT_SHAPE', /xs must be 2-d/);
    code(() => ot.stochastic.planDualEntropic(u, v, xs, xt, { ws: ot.unif(4) }), 'ERR_OT_SHAPE', /ws has 4 entries but xs has 5 rows/);
  });
  it('rejects reg <= 0, negative weights, NaN, unknown options and metrics', () => {
    code(() => ot.stochastic.lossDualEntropic(u, v, xs, xt, { reg: 0 }), 'ERR_OT_VALUE', /reg must be/);
    code(() => ot.stochastic.lossDualQuadratic(u, v, xs, xt, { reg: -1 }), 'ERR_OT_VALUE', /reg must be/);
    code(() => ot.stochastic.lossDualEntropic(u, v, xs, xt, { wt: ot.tensor([0.5, 0.5, 0.5, -0.5]) }), 'ERR_OT_VALUE', /wt must be >= 0/);
    code(() => ot.stochastic.lossDualEntropic(ot.tensor([1, 2, NaN, 4, 5]), v, xs, xt), 'ERR_OT_VALUE', /u must be finite/);
    code(() => ot.stochastic.lossDualEntropic(u, v, xs, xt, { reg: 1, maxIter: 3 } as never), 'ERR_OT_ARG', /unknown option 'maxIter'/);
    code(() => ot.stochastic.lossDualEntropic(u, v, xs, xt, { metric: 'hamming' as never }), 'ERR_OT_ARG', /metric must be one of/);
    code(() => ot.stochastic.lossDualEntropic(u, v, xs, xt, { metric: 'minkowski', p: 0.5 }), 'ERR_OT_VALUE', /p must be/);
    code(() => ot.stochastic.lossDualEntropic(u, v, ot.zeros([5, 2]), xt, { metric: 'cosine' }), 'ERR_OT_VALUE', /non-zero rows/);
    code(() => ot.stochastic.lossDualEntropic(u, v, xs, 3 as never), 'ERR_OT_ARG', /xt must be a Tensor/);
  });
});

describe('dual losses: repeated calls (resolution and native handle reused)', () => {
  it('see new option values, in-place updates and changed requiresGrad', () => {
    const pb = randomProblem(12, 9, 2, 31);
    const fresh = (reg: number) => {
      // The same requiresGrad flags: the kernel's path (and its rounding) depends on the gradients wanted.
      const c = (t: ot.Tensor) => t.clone().detach().requiresGrad_(t.requiresGrad);
      return ot.stochastic.lossDualEntropic(c(pb.u), c(pb.v), c(pb.xs), c(pb.xt), { reg }).item();
    };
    for (let k = 0; k < 3; k++) expect(ot.stochastic.lossDualEntropic(pb.u, pb.v, pb.xs, pb.xt, { reg: 0.5 }).item()).toBe(fresh(0.5));
    expect(ot.stochastic.lossDualEntropic(pb.u, pb.v, pb.xs, pb.xt, { reg: 2 }).item()).toBe(fresh(2));
    pb.u.data[0] = pb.u.data[0]! + 0.25; // as an optimiser does
    expect(ot.stochastic.lossDualEntropic(pb.u, pb.v, pb.xs, pb.xt, { reg: 2 }).item()).toBe(fresh(2));
    const w = ot.unif(12);
    expect(ot.stochastic.lossDualEntropic(pb.u, pb.v, pb.xs, pb.xt, { reg: 2, ws: w }).item()).toBe(fresh(2));
    pb.xs.requiresGrad_(false);
    expect(ot.stochastic.lossDualEntropic(pb.u, pb.v, pb.xs, pb.xt, { reg: 2 }).item()).toBe(fresh(2));
    pb.xs.requiresGrad_(true);
    const L = ot.stochastic.lossDualEntropic(pb.u, pb.v, pb.xs, pb.xt, { reg: 2 });
    L.backward();
    expect(pb.xs.grad?.shape).toEqual([12, 2]);
    pb.xs.data[3] = NaN;
    expect(() => ot.stochastic.lossDualEntropic(pb.u, pb.v, pb.xs, pb.xt, { reg: 2 })).toThrow(/xs must be finite/);
  });
});

describe('dual losses: the same bits for any number of threads', () => {
  it('loss, all gradients and the native ascent agree between 1 and 4 threads', () => {
    // Large enough for a team (600×500: several row blocks); the child prints every number's bits.
    const body = `
      const xs = ot.rand([600, 3], { seed: 1 }).requiresGrad_(true), xt = ot.rand([500, 3], { seed: 2 }).requiresGrad_(true);
      const u = ot.rand([600], { seed: 3 }).requiresGrad_(true), v = ot.rand([500], { seed: 4 }).requiresGrad_(true);
      const loss = ot.stochastic.lossDualEntropic(u, v, xs, xt, { reg: 0.3 });
      loss.backward();
      const q = ot.stochastic.lossDualQuadratic(u.detach(), v.detach(), xs.detach(), xt.detach(), { reg: 0.05 }).item();
      const asc = ot.stochastic.solveDualEntropic(xs.detach(), xt.detach(), { reg: 0.3, lr: 0.05, steps: 20 });
      const all = [loss.item(), q, ...u.grad.data, ...v.grad.data, ...xs.grad.data, ...xt.grad.data, ...asc.u.data, ...asc.v.data, ...asc.history];
      console.log(JSON.stringify(all.map((x) => x.toString(16))));`;
    const run = (threads: string) => {
      const r = runChild(body, { env: { OT_NUM_THREADS: threads }, timeoutMs: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      return lastJson<string[]>(r);
    };
    const one = run('1');
    expect(one.length).toBe(2 + 600 + 500 + 1800 + 1500 + 600 + 500 + 20);
    expect(run('4')).toEqual(one);
  });
});
