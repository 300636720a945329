// A method without a GPU kernel, on cuda tensors: M and the weights are copied to the host (differentiably:
// .to() carries gradients back to the cuda leaves), the CPU method solves, and every result is returned as
// a cuda tensor. This is what POT does for torch GPU tensors on its NumPy-only paths.
import { Tensor } from '../tensor/tensor.js';
import type { CostProblem, SolveMethod } from './problem.js';
import { OTResult } from './result.js';
import type { SolveAsyncOptions } from './solve.js';

function toHost(c: CostProblem): CostProblem {
  const host = (v: unknown) => (v instanceof Tensor ? v.to('cpu') : v);
  return { ...c, device: 'cpu', M: c.M.to('cpu'), aIn: host(c.aIn), bIn: host(c.bIn) };
}

function toDevice(r: OTResult, device: CostProblem['device']): OTResult {
  return new OTResult({
    value: r.value.to(device), valueLinear: r.valueLinear.to(device), plan: r.plan.to(device),
    potentials: [r.potentials[0].to(device), r.potentials[1].to(device)], status: r.status, nIter: r.nIter,
  });
}

export function onHost(method: SolveMethod): SolveMethod {
  return {
    solve: (c: CostProblem, opts: SolveAsyncOptions | undefined) =>
      c.device === 'cpu' ? method.solve(c, opts) : toDevice(method.solve(toHost(c), opts), c.device),
    solveAsync: async (c: CostProblem, opts: SolveAsyncOptions | undefined) =>
      c.device === 'cpu' ? method.solveAsync(c, opts) : toDevice(await method.solveAsync(toHost(c), opts), c.device),
  };
}
