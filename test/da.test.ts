// ot.da against POT's ot.da (da.json: coupling, transform of the fitted and of new samples, inverse
// transform, for SinkhornTransport and EMDTransport), label-aware couplings, and bad input.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { expectClose, loadFixture } from './helpers/fixtures.js';

const tol = { rel: 1e-6, abs: 1e-12 }; // the reference README's tolerance for da.json

describe('ot.da vs POT (da.json)', () => {
  const fx = loadFixture('da');
  for (const c of fx.cases) {
    it(`${c.class} ${JSON.stringify(c.options)} ${c.x_s.length}x${c.x_t.length}`, () => {
      const t = c.class === 'EMDTransport' ? new ot.da.EMDTransport() : new ot.da.SinkhornTransport({ regE: c.options.reg_e });
      t.fit({ Xs: c.x_s, Xt: c.x_t });
      expectClose(t.coupling!.data, c.coupling, tol, 'coupling');
      expectClose(t.transform({ Xs: c.x_s }).data, c.transform, tol, 'transform');
      expectClose(t.transform({ Xs: c.x_new }).data, c.transform_new, tol, 'transform (new samples)');
      expectClose(t.inverseTransform({ Xt: c.x_t }).data, c.inverse_transform, tol, 'inverse_transform');
      expectClose(t.fitTransform({ Xs: c.x_s, Xt: c.x_t }).data, c.transform, tol, 'fitTransform');
    });
  }
});

describe('ot.da labels and properties', () => {
  const Xs = ot.randn([40, 2], { seed: 1, dtype: 'float64' });
  const Xt = ot.randn([30, 2], { seed: 2, dtype: 'float64' }).add(2);
  const ys = Array.from({ length: 40 }, (_, i) => i % 2);
  const yt = Array.from({ length: 30 }, (_, j) => (j < 5 ? -1 : j % 2));

  it('couplings have the uniform marginals', () => {
    for (const t of [new ot.da.EMDTransport(), new ot.da.SinkhornTransport({ regE: 0.5 })]) {
      const G = t.fit({ Xs, Xt }).coupling!;
      expectClose(G.sum(1).data, new Array(40).fill(1 / 40), { rel: 1e-6, abs: 1e-12 }, 'rows');
    }
  });

  it('labelled pairs of different classes get no mass (unlabelled targets, -1, take any class)', () => {
    for (const t of [new ot.da.EMDTransport(), new ot.da.SinkhornTransport({ regE: 0.5 })]) {
      const G = t.fit({ Xs, Xt, ys, yt }).coupling!.data;
      let across = 0;
      for (let i = 0; i < 40; i++) for (let j = 5; j < 30; j++) if (ys[i] !== yt[j]) across += G[i * 30 + j]!;
      expect(across).toBeLessThan(1e-12);
    }
  });

  it('rejects bad input with the argument named', () => {
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => new ot.da.SinkhornTransport().transform({ Xs }), 'ERR_OT_ARG', /call fit\(\{ Xs, Xt \}\) first/);
    says(() => new ot.da.SinkhornTransport({ regE: -1 }), 'ERR_OT_VALUE', /regE must be a finite number > 0/);
    says(() => new ot.da.SinkhornTransport({ reg_e: 1 } as never), 'ERR_OT_ARG', /reg_e/);
    says(() => new ot.da.EMDTransport().fit({ Xs, Xt: ot.randn([5, 3]) }), 'ERR_OT_SHAPE', /same number of features, got 2 and 3/);
    says(() => new ot.da.EMDTransport().fit({ Xs, Xt, ys: [1, 2], yt }), 'ERR_OT_SHAPE', /ys has 2 labels but there are 40 samples/);
    says(() => new ot.da.EMDTransport().fit({ Xs, Xt, ys: ys.map(() => 0.5), yt }), 'ERR_OT_VALUE', /ys\[0\] must be an integer class label/);
    says(() => new ot.da.EMDTransport().fit({ Xs: 'x' as never, Xt }), 'ERR_OT_ARG', /Xs must be a Tensor or an array of points/);
    says(() => new ot.da.EMDTransport().fit({ Xs, Xt }).transform({ Xs: [[1, 2, 3]] }), 'ERR_OT_SHAPE', /must have 2 features/);
  });
});
