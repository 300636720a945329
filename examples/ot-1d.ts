// Optimal transport for fixed support (POT gallery: plot_OT_1D): two 1-D Gaussian histograms on 100
// bins, the squared-distance cost, the exact plan (1-D solver) and the entropic plan (Sinkhorn,
// reg 1e-3), each drawn with plot1DMat. POT's example continues with smooth and sparsity-constrained
// OT (ot.smooth), which this package does not have yet; those figures are left out.
import * as ot from 'optimal-transport';
import { save } from './figures.js';

const n = 100; // nb bins
const x = Float64Array.from({ length: n }, (_, i) => i);
const a = ot.datasets.make1DGauss(n, 20, 5); // m = mean, s = std
const b = ot.datasets.make1DGauss(n, 60, 10);

// loss matrix, normalised
const xs = ot.tensor(x).reshape([n, 1]);
const M0 = ot.dist(xs, xs);
const M = M0.div(Math.max(...M0.data));

const fig1 = ot.plot.figure({ width: 640, height: 300 });
fig1.line(a, { x, color: 'b', label: 'Source distribution' }).line(b, { x, color: 'r', label: 'Target distribution' });
await save(fig1, 'ot-1d-distributions');

const fig2 = ot.plot.figure({ width: 500, height: 500 });
await save(ot.plot.plot1DMat(fig2, a, b, M, { title: 'Cost matrix M' }), 'ot-1d-cost');

// exact OT between the two histograms on the same support (POT: ot.emd_1d)
const G0 = ot.emd1d(x, x, { a, b }) as ot.Tensor;
const fig3 = ot.plot.figure({ width: 500, height: 500 });
await save(ot.plot.plot1DMat(fig3, a, b, G0, { title: 'OT matrix G0' }), 'ot-1d-exact');

// entropic OT (POT: ot.sinkhorn(a, b, M, 1e-3))
const lambd = 1e-3;
const Gs = ot.sinkhorn(a, b, M, lambd);
const fig4 = ot.plot.figure({ width: 500, height: 500 });
await save(ot.plot.plot1DMat(fig4, a, b, Gs, { title: 'OT matrix Sinkhorn' }), 'ot-1d-sinkhorn');

const cost = (G: ot.Tensor) => G.mul(M).sum().item();
console.log(`exact cost ${cost(G0).toFixed(6)}, Sinkhorn (reg ${lambd}) cost ${cost(Gs).toFixed(6)}`);
