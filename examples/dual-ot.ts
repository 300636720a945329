// Dual OT solvers for entropic and quadratic regularised OT with Adam (POT gallery:
// plot_dual_ot_pytorch): estimate the dual potentials, then plot the losses and the recovered plans.
import * as ot from 'optimal-transport';
import { save } from './figures.js';

// Data: a source and a rotated target, one target mode with a larger variance.
const nSourceSamples = 100;
const nTargetSamples = 100;
const theta = (2 * Math.PI) / 20;
const noiseLevel = 0.1;

const { X: Xs } = ot.datasets.makeDataClassif('gaussrot', nSourceSamples, { nz: noiseLevel, seed: 0 });
const target = ot.datasets.makeDataClassif('gaussrot', nTargetSamples, { theta, nz: noiseLevel, seed: 1 });
// One of the target modes changes its variance (no linear mapping), then the target is shifted.
const scale = ot.tensor(Array.from(target.y, (c) => (c === 2 ? [3, 3] : [1, 1])));
const Xt = target.X.mul(scale).add(4);


const scatterSamples = (fig: ReturnType<typeof ot.plot.figure>): void => {
  fig.scatter(Xs, { marker: '+', label: 'Source samples' });
  fig.scatter(Xt, { marker: 'o', label: 'Target samples' });
};

const data = ot.plot.figure({ width: 700, height: 350, title: 'Source and target distributions' });
scatterSamples(data);
await save(data, 'dual-ot-data');

type Kind = 'entropic' | 'quadratic';
const losses = {
  entropic: ot.stochastic.lossDualEntropic,
  quadratic: ot.stochastic.lossDualQuadratic,
};
const plans = {
  entropic: ot.stochastic.planDualEntropic,
  quadratic: ot.stochastic.planDualQuadratic,
};

async function estimate(kind: Kind, reg: number, seed: number): Promise<void> {
  console.log(`\nEstimating dual variables for ${kind} OT (reg=${reg})`);
  const u = ot.randn([nSourceSamples], { seed, requiresGrad: true });
  const v = ot.randn([nTargetSamples], { seed: seed + 1, requiresGrad: true });
  const optimizer = new ot.optim.Adam([u, v], { lr: 1 });
  const nIter = 200;
  const history: number[] = [];
  for (let i = 0; i < nIter; i++) {
    // Minus because the dual objective is maximised.
    const loss = losses[kind](u, v, Xs, Xt, { reg }).neg();
    history.push(loss.item());
    if (i % 10 === 0) console.log(`Iter: ${String(i).padStart(3)}, loss=${history[history.length - 1]}`);
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
  }

  const curve = ot.plot.figure({ width: 500, height: 320, title: 'Dual objective (negative)', xlabel: 'Iterations' });
  curve.line(history);
  curve.grid(true);
  await save(curve, `dual-ot-${kind}-loss`);

  const G = plans[kind](u.detach(), v.detach(), Xs, Xt, { reg });
  const planFig = ot.plot.figure({ width: 700, height: 350, title: `OT plan with ${kind} regularisation` });
  ot.plot.plot2DSamplesMat(planFig, Xs, Xt, G, { alpha: 0.1 });
  scatterSamples(planFig);
  await save(planFig, `dual-ot-${kind}-plan`);
}

await estimate('entropic', 0.5, 10);
await estimate('quadratic', 0.01, 20);
