// Runs one small differentiable solve and prints the CPU kernel variant in use with the numbers, for
// check-cpu-variants.sh (which runs it on emulated CPUs without AVX-512 / AVX).
import * as ot from '../../dist/index.js';

const x = ot.rand([40, 3], { seed: 1, dtype: 'float64' });
const y = ot.rand([30, 3], { seed: 2, dtype: 'float64' });
const M = ot.dist(x, y).requiresGrad_(true);
const res = ot.solve(M, ot.unif(40), ot.unif(30), { reg: 0.05, grad: 'autodiff' });
res.value.backward();
console.log(JSON.stringify({ isa: ot.backend().isa, value: res.value.item(), grad: M.grad.toArray().flat().slice(0, 50) }));
