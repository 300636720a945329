// Tarball-install smoke test (CommonJS): require() must work without any ESM interop flag.
const ot = require('optimal-transport');

const M = ot.tensor([[0, 1, 2], [1, 0, 1], [2, 1, 0]], { dtype: 'float64' });
const res = ot.solve(M, ot.unif(3), ot.unif(3), { reg: 1 });
const info = ot.backend();
console.log(JSON.stringify({ module: 'cjs', isa: info.isa, cuda: info.cudaCompiled, value: res.value.item(), status: res.status }));
if (res.status !== 'converged' || !(res.value.item() > 0)) process.exit(1);
