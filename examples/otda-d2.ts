// OT for domain adaptation on empirical distributions (POT gallery: plot_otda_d2): two 3-class 2-D
// datasets, the exact and the entropic couplings (ot.da.EMDTransport, SinkhornTransport with reg 0.1),
// their main coefficients, and the source samples transported onto the target domain. POT's example also
// shows SinkhornLpl1Transport (group-lasso regularised), which this package does not have yet.
import * as ot from 'optimal-transport';
import { save } from './figures.js';

const nSamplesSource = 150;
const nSamplesTarget = 150;
const { X: Xs, y: ys } = ot.datasets.makeDataClassif('3gauss', nSamplesSource, { seed: 0 });
const { X: Xt, y: yt } = ot.datasets.makeDataClassif('3gauss2', nSamplesTarget, { seed: 1 });

// Cost matrix
const M = ot.dist(Xs, Xt, { metric: 'sqeuclidean' });

// EMD and Sinkhorn transports
const otEmd = new ot.da.EMDTransport();
otEmd.fit({ Xs, Xt });
const otSinkhorn = new ot.da.SinkhornTransport({ regE: 1e-1 });
otSinkhorn.fit({ Xs, Xt });
const transpXsEmd = otEmd.transform({ Xs });
const transpXsSinkhorn = otSinkhorn.transform({ Xs });

/** The rows of X with label `c`, as [k, 2] rows (POT colours the classes with c=y). */
const rowsOf = (X: ot.Tensor, y: Int32Array, c: number): number[][] => {
  const rows: number[][] = [];
  y.forEach((l, i) => {
    if (l === c) rows.push([X.data[2 * i]!, X.data[2 * i + 1]!]);
  });
  return rows;
};
const classes = [1, 2, 3];
const byClass = (fig: ot.plot.Figure, X: ot.Tensor, y: Int32Array, marker: '+' | 'o', label: string, alpha = 1, size = 36) => {
  classes.forEach((c, k) => fig.scatter(rowsOf(X, y, c), { marker, color: `C${k}`, alpha, size, label: `${label}, class ${c}` }));
  return fig;
};

await save(byClass(byClass(ot.plot.figure({ width: 640, height: 480, title: 'Source (+) and target (o) samples' }), Xs, ys, '+', 'Source'), Xt, yt, 'o', 'Target').legend('outside'), 'otda-samples');
await save(ot.plot.figure({ width: 500, height: 500, title: 'Matrix of pairwise distances' }).image(M, { cmap: 'viridis' }), 'otda-cost');
await save(ot.plot.figure({ width: 500, height: 500, title: 'Optimal coupling, EMDTransport' }).image(otEmd.coupling!), 'otda-coupling-emd');
await save(ot.plot.figure({ width: 500, height: 500, title: 'Optimal coupling, SinkhornTransport' }).image(otSinkhorn.coupling!), 'otda-coupling-sinkhorn');

const plan = ot.plot.figure({ width: 640, height: 480, title: 'Main coupling coefficients, SinkhornTransport' });
ot.plot.plot2DSamplesMat(plan, Xs, Xt, otSinkhorn.coupling!, { color: '#8080ff' });
await save(byClass(byClass(plan, Xs, ys, '+', 'Source'), Xt, yt, 'o', 'Target').legend(false), 'otda-plan-sinkhorn');

for (const [name, mapped] of [['EMDTransport', transpXsEmd], ['SinkhornTransport', transpXsSinkhorn]] as const) {
  const fig = ot.plot.figure({ width: 640, height: 480, title: `Transported samples, ${name}` });
  byClass(fig, Xt, yt, 'o', 'Target', 0.5);
  byClass(fig, mapped, ys, '+', 'Transported', 1, 30);
  await save(fig.legend('outside'), `otda-transported-${name === 'EMDTransport' ? 'emd' : 'sinkhorn'}`);
}

// How well the mapping keeps the classes apart: the target class of each transported sample's nearest target point.
for (const [name, mapped] of [['EMDTransport', transpXsEmd], ['SinkhornTransport', transpXsSinkhorn]] as const) {
  const D = ot.dist(mapped, Xt).data;
  let same = 0;
  for (let i = 0; i < nSamplesSource; i++) {
    let best = 0;
    for (let j = 1; j < nSamplesTarget; j++) if (D[i * nSamplesTarget + j]! < D[i * nSamplesTarget + best]!) best = j;
    if (yt[best] === ys[i]) same++;
  }
  console.log(`${name}: ${same} of ${nSamplesSource} transported samples land nearest a target sample of their class`);
}
