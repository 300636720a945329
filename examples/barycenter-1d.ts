// 1-D Wasserstein barycenter demo (POT gallery: plot_barycenter_1D): two Gaussian histograms on 100 bins,
// their l2 (weighted mean) and entropic Wasserstein barycenters (ot.bregman.barycenter, reg 1e-3), and the
// interpolation between them for 11 weights. POT draws the interpolation as 3-D waterfalls; here each
// family is one 2-D figure with a line per weight (viridis from alpha = 0 to 1).
import * as ot from 'optimal-transport';
import { save } from './figures.js';

const n = 100; // nb bins
const x = Float64Array.from({ length: n }, (_, i) => i);
const a1 = ot.datasets.make1DGauss(n, 20, 5); // m = mean, s = std
const a2 = ot.datasets.make1DGauss(n, 60, 8);
const A = Array.from({ length: n }, (_, i) => [a1.data[i]!, a2.data[i]!]); // histograms in columns, [n, 2]

// loss matrix (POT: ot.utils.dist0(n)), normalised
const xs = ot.tensor(x).reshape([n, 1]);
const M0 = ot.dist(xs, xs);
const M = M0.div(Math.max(...M0.data));

const reg = 1e-3;
const l2 = (alpha: number) => a1.mul(1 - alpha).add(a2.mul(alpha));
const wass = (alpha: number) => ot.bregman.barycenter(A, M, reg, { weights: [1 - alpha, alpha] });

const fig1 = ot.plot.figure({ width: 640, height: 300, title: 'Distributions' });
fig1.line(a1, { x, color: 'k' }).line(a2, { x, color: 'k' });
await save(fig1, 'barycenter-1d-distributions');

const alpha = 0.2;
const bary = wass(alpha);
const fig2 = ot.plot.figure({ width: 640, height: 300, title: 'Barycenters' });
fig2.line(l2(alpha), { x, color: 'r', label: 'l2' }).line(bary, { x, color: 'g', label: 'Wasserstein' });
await save(fig2, 'barycenter-1d-barycenters');

const nAlpha = 11;
const viridis = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#d8e219', '#fde725'];
for (const [name, family] of [['l2', l2], ['wasserstein', wass]] as const) {
  const fig = ot.plot.figure({ width: 640, height: 300, title: `${name === 'l2' ? 'l2' : 'Wasserstein'} interpolation, alpha = 0 … 1` });
  for (let i = 0; i < nAlpha; i++) fig.line(family(i / (nAlpha - 1)), { x, color: viridis[i]! });
  await save(fig, `barycenter-1d-${name}-interpolation`);
}

// The Wasserstein barycenter moves mass instead of mixing it: its mean sits between the two means.
const mean = (h: ot.Tensor) => h.data.reduce((s, v, i) => s + v * i, 0) / h.data.reduce((s, v) => s + v, 0);
console.log(`barycenter at alpha ${alpha}: mass ${bary.sum().item().toFixed(6)}, mean ${mean(bary).toFixed(2)} (sources at 20 and 60)`);
