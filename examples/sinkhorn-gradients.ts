// Different gradient computations for regularised OT (POT gallery: plot_Sinkhorn_gradients):
// time solve + value.backward() for the autodiff, envelope and last_step modes, then a boxplot.
import * as ot from 'optimal-transport';
import { save } from './figures.js';


const nTrials = 10;
const nSamplesS = 300;
const nSamplesT = 300;
const nFeatures = 5;
const reg = 0.03;
const modes = ['autodiff', 'envelope', 'last_step'] as const;
const times: Record<(typeof modes)[number], number[]> = { autodiff: [], envelope: [], last_step: [] };

ot.manualSeed(0);
for (let i = 0; i < nTrials; i++) {
  const x = ot.rand([nSamplesS, nFeatures], { dtype: 'float32' });
  const y = ot.rand([nSamplesT, nFeatures], { dtype: 'float32' });
  const a0 = ot.unif(nSamplesS);
  const b0 = ot.unif(nSamplesT);
  const M0 = ot.dist(x, y);

  for (const grad of modes) {
    // Fresh leaves per mode, as the original re-creates a, b and M before each timing.
    const a = a0.clone().detach().requiresGrad_(true);
    const b = b0.clone().detach().requiresGrad_(true);
    const M = M0.clone().detach().requiresGrad_(true);
    ot.tic();
    const res = ot.solve(M, a, b, { reg, grad });
    res.value.backward();
    times[grad].push(ot.toq());
  }
}

for (const grad of modes) {
  const sorted = [...times[grad]].sort((p, q) => p - q);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`${grad.padEnd(9)} median ${(median * 1e3).toFixed(2)} ms over ${nTrials} trials`);
}

// Scientific y ticks, as the original's ticklabel_format(style='sci').
const fig = ot.plot.figure({ width: 500, height: 300, ylabel: 'Time (s)', title: 'Sinkhorn gradient modes', yformat: '.1e' });
fig.boxplot(modes.map((m) => times[m]), [...modes], { showfliers: false });
await save(fig, 'sinkhorn-gradients-times');
