// Public entry point of optimal-transport: re-exports the namespaces; nothing else lives here.
export { Tensor, type NestedArray } from './tensor/tensor.js';
export { tensor, zeros, ones, full, rand, randn, arange, linspace, type TensorOptions } from './tensor/create.js';
export { stack, cat } from './tensor/join.js';
export { manualSeed, Generator } from './tensor/random.js';
export type { DType, Device, FloatArray } from './tensor/dtype.js';
export { unif } from './utils/unif.js';
export { tic, toc, toq } from './utils/timing.js';
export { backend, type BackendInfo, type CpuIsa } from './utils/backend.js';
export { OTError, type OTErrorCode } from './core/errors.js';
export { dist, distAsync, type DistMetric, type DistOptions, type DistAsyncOptions, type DistInput } from './costs/index.js';
export * as plot from './plot/index.js';
export * as stochastic from './stochastic/index.js';
export * as optim from './optim/index.js';
export * as datasets from './datasets/index.js';
export * as batch from './batch/index.js';
export { solve, solveAsync, OTResult, type SolveOptions, type SolveAsyncOptions, type SolveStatus, type GradMode, type EntropicRegType } from './solvers/index.js';
export { emd, emd2, emdAsync, emd2Async, type EmdOptions, type EmdAsyncOptions } from './lp/index.js';
export { sinkhorn, sinkhorn2, sinkhornAsync, sinkhorn2Async, type SinkhornOptions, type SinkhornAsyncOptions, type WeightsInput } from './bregman/index.js';
export * as bregman from './bregman/index.js';
export * as da from './da/index.js';
// POT's ot.lp namespace: emd, emd2 (also top-level) and the exact barycenter.
export * as lp from './lp/index.js';
export { sinkhornDivergence, sinkhornDivergenceAsync, type SinkhornDivergenceOptions, type SinkhornDivergenceAsyncOptions } from './solvers/index.js';
export { solveSample, solveSampleAsync, SampleResult, type SolveSampleOptions, type SolveSampleAsyncOptions, type LazyPlan } from './solvers/index.js';
export * as cuda from './cuda/index.js';
export {
  wasserstein1d, wasserstein1dAsync, emd1d, emd1dAsync, emd21d, emd21dAsync,
  type Wasserstein1dOptions, type Wasserstein1dAsyncOptions, type Emd1dOptions, type Emd1dAsyncOptions, type Emd21dOptions,
  type Emd21dAsyncOptions, type Emd1dMetric, type SparsePlan,
} from './lp/solver-1d.js';
export type { SampleInput } from './lp/sample-args.js';
export {
  slicedWassersteinDistance, slicedWassersteinDistanceAsync, maxSlicedWassersteinDistance, maxSlicedWassersteinDistanceAsync,
  type SlicedOptions, type SlicedAsyncOptions,
} from './sliced/index.js';
export * as sliced from './sliced/index.js';
export * as jobs from './jobs/index.js';
