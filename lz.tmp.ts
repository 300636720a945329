import * as ot from './lib/index.js';
const x = ot.randn([4000, 3], { seed: 0, dtype: 'float64' }), y = ot.randn([4000, 3], { seed: 1, dtype: 'float64' });
for (let k = 0; k < 3; k++) { const t = performance.now(); const r = ot.solveSample(x, y, { reg: 0.1, lazy: true, maxIter: 20, tol: 0 }); console.log(performance.now() - t, r.nIter, r.value.item()); }
const x32 = x.to('float32'), y32 = y.to('float32');
for (let k = 0; k < 2; k++) { const t = performance.now(); const r = ot.solveSample(x32, y32, { reg: 0.1, lazy: true, maxIter: 20, tol: 0 }); console.log('f32', performance.now() - t, r.nIter, r.value.item()); }
console.log(ot.backend());
