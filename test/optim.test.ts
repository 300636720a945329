// Optimisers (torch.optim): Adam trajectories on the dual OT losses vs torch (adam.json, ≤ 1e-10),
// SGD with momentum / Nesterov vs a hand-derived torch trajectory, and the AMSGrad, weight-decay and
// maximize variants against the update formulas.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture } from './helpers/fixtures.js';

const fixture = loadFixture('adam');
const losses = { entropic: ot.stochastic.lossDualEntropic, quadratic: ot.stochastic.lossDualQuadratic };

describe('Adam vs torch on the dual OT losses', () => {
  for (const c of fixture.cases) {
    it(`${c.kind} reg=${c.reg} lr=${c.lr} ${c.steps} steps`, () => {
      const xs = ot.tensor(c.xs);
      const xt = ot.tensor(c.xt);
      const u = ot.tensor(c.u0, { requiresGrad: true });
      const v = ot.tensor(c.v0, { requiresGrad: true });
      const opt = new ot.optim.Adam([u, v], { lr: c.lr, betas: c.betas, eps: c.eps });
      const got: number[] = [];
      for (let s = 0; s < c.steps; s++) {
        const loss = losses[c.kind as 'entropic' | 'quadratic'](u, v, xs, xt, { reg: c.reg }).neg();
        got.push(loss.item());
        loss.backward();
        opt.step();
        opt.zeroGrad();
      }
      const tol = { rel: 1e-10, abs: 0 };
      expectClose(got, c.losses, tol, 'losses');
      expectClose(u.data, c.u, tol, 'u');
      expectClose(v.data, c.v, tol, 'v');
      expect(u.grad).toBeNull();
    });
  }
});

/** One scalar parameter x minimising f(x) = x²/2 + x (gradient x + 1), stepped `steps` times. */
function run(make: (p: ot.Tensor[]) => ot.optim.Optimizer, x0: number, steps: number): number[] {
  const x = ot.tensor([x0], { requiresGrad: true });
  const opt = make([x]);
  const xsSeen: number[] = [];
  for (let s = 0; s < steps; s++) {
    x.pow(2).div(2).add(x).sum().backward();
    opt.step();
    opt.zeroGrad();
    xsSeen.push(x.data[0]!);
  }
  return xsSeen;
}

describe('SGD (torch semantics)', () => {
  it('momentum + nesterov follows torch', () => {
    // torch: d = g (+wd x); buf = d on step 1 else μ buf + (1−τ) d; nesterov: d = d + μ buf; x −= lr d.
    const lr = 0.1;
    const mu = 0.9;
    let x = 2;
    let buf = 0;
    const want: number[] = [];
    for (let s = 0; s < 6; s++) {
      const g = x + 1;
      buf = s === 0 ? g : mu * buf + g;
      x -= lr * (g + mu * buf);
      want.push(x);
    }
    // x1 by hand: g=3, buf=3, x = 2 − 0.1·(3 + 2.7) = 1.43.
    expect(want[0]).toBeCloseTo(1.43, 14);
    expectClose(run((p) => new ot.optim.SGD(p, { lr, momentum: mu, nesterov: true }), 2, 6), want, { rel: 1e-15, abs: 0 }, 'nesterov');
  });

  it('dampening, weight decay, maximize and plain steps', () => {
    let x = 2;
    let buf = 0;
    const want: number[] = [];
    for (let s = 0; s < 5; s++) {
      const d = -(x + 1) + 0.01 * x; // maximize negates the gradient, then weight decay is added
      buf = s === 0 ? d : 0.5 * buf + (1 - 0.3) * d;
      x -= 0.05 * buf;
      want.push(x);
    }
    const opts = { lr: 0.05, momentum: 0.5, dampening: 0.3, weightDecay: 0.01, maximize: true };
    expectClose(run((p) => new ot.optim.SGD(p, opts), 2, 5), want, { rel: 1e-15, abs: 0 }, 'sgd');
    expect(run((p) => new ot.optim.SGD(p, { lr: 0.5 }), 3, 1)).toEqual([3 - 0.5 * 4]);
  });

  it('rejects bad hyper-parameters and parameters', () => {
    const x = ot.tensor([1], { requiresGrad: true });
    expect(() => new ot.optim.SGD([x], { nesterov: true })).toThrow(/nesterov momentum requires/);
    expect(() => new ot.optim.SGD([x], { lr: -1 })).toThrow(/lr must be/);
    expect(() => new ot.optim.SGD([x], { lr: 0.1, momentom: 0.9 } as never)).toThrow(/unknown option 'momentom'/);
    expect(() => new ot.optim.SGD([x, x])).toThrow(/more than once/);
    expect(() => new ot.optim.SGD([x.mul(2)])).toThrow(/not a leaf/);
    expect(() => new ot.optim.SGD([])).toThrow(/non-empty/);
  });
});

describe('Adam variants', () => {
  /** Reference Adam on f(x) = x²/2 + x with the torch formulas written out. */
  function reference(x0: number, steps: number, o: { lr: number; b1: number; b2: number; eps: number; wd: number; ams: boolean; max: boolean }): number[] {
    let x = x0;
    let m = 0;
    let v = 0;
    let vmax = 0;
    const out: number[] = [];
    for (let t = 1; t <= steps; t++) {
      let g = x + 1;
      if (o.max) g = -g;
      g += o.wd * x;
      m = m * o.b1 + (1 - o.b1) * g;
      v = v * o.b2 + (1 - o.b2) * g * g;
      vmax = Math.max(vmax, v);
      const denom = Math.sqrt(o.ams ? vmax : v) / Math.sqrt(1 - o.b2 ** t) + o.eps;
      x = x + (-(o.lr / (1 - o.b1 ** t)) * m) / denom;
      out.push(x);
    }
    return out;
  }
  const base = { lr: 0.3, b1: 0.8, b2: 0.9, eps: 1e-6, wd: 0, ams: false, max: false };
  for (const [name, o] of [
    ['plain', base],
    ['amsgrad', { ...base, ams: true }],
    ['weightDecay', { ...base, wd: 0.2 }],
    ['maximize', { ...base, max: true }],
  ] as const) {
    it(name, () => {
      const got = run((p) => new ot.optim.Adam(p, { lr: o.lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.wd, amsgrad: o.ams, maximize: o.max }), 2, 12);
      expectClose(got, reference(2, 12, o), { rel: 1e-15, abs: 0 }, name);
    });
  }

  it('amsgrad differs from plain Adam once the second moment decreases', () => {
    const plain = run((p) => new ot.optim.Adam(p, { lr: 0.3 }), 2, 30);
    const ams = run((p) => new ot.optim.Adam(p, { lr: 0.3, amsgrad: true }), 2, 30);
    expect(ams[29]).not.toBe(plain[29]);
  });

  it('skips parameters without a gradient and keeps state per parameter', () => {
    const a = ot.tensor([1, 2], { requiresGrad: true });
    const b = ot.tensor([3], { requiresGrad: true });
    const opt = new ot.optim.Adam([a, b], { lr: 0.1 });
    a.sum().backward();
    opt.step();
    expect(Array.from(b.data)).toEqual([3]);
    // First Adam step moves every coordinate by lr·sign(g) (up to eps).
    expectClose(a.data, [0.9, 1.9], { rel: 1e-8, abs: 0 }, 'first step');
    opt.zeroGrad(false);
    expect(Array.from(a.grad!.data)).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it('rejects bad hyper-parameters', () => {
    const x = ot.tensor([1], { requiresGrad: true });
    expect(() => new ot.optim.Adam([x], { betas: [1, 0.999] })).toThrow(/betas\[0\]/);
    expect(() => new ot.optim.Adam([x], { eps: -1 })).toThrow(/eps must be/);
    expect(() => new ot.optim.Adam([x], { lr: NaN })).toThrow(/lr must be/);
    expect(() => new ot.optim.Adam([x], { learningRate: 1 } as never)).toThrow(/unknown option/);
    expect(() => new ot.optim.Adam([x], { amsgrad: 1 as never })).toThrow(/amsgrad must be a boolean/);
  });
});
