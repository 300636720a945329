// Dual OT (POT: ot.stochastic): dual losses of entropic / quadratic OT and the plans they induce.
export {
  lossDualEntropic, lossDualQuadratic, planDualEntropic, planDualQuadratic,
  lossDualEntropicAsync, lossDualQuadraticAsync, planDualEntropicAsync, planDualQuadraticAsync,
  DUAL_METRICS, type DualMetric, type DualOptions, type DualAsyncOptions, type PotentialInput, type SamplesInput,
} from './dual.js';
export {
  solveDualEntropic, solveDualQuadratic, solveDualEntropicAsync, solveDualQuadraticAsync,
  type SolveDualOptions, type SolveDualAsyncOptions, type SolveDualResult,
} from './solve-dual.js';
