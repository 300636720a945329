// Public entry point of optimal-transport: re-exports the namespaces; nothing else lives here.
export { Tensor, type NestedArray } from './tensor/tensor.js';
export { tensor, zeros, ones, full, rand, randn, type TensorOptions } from './tensor/create.js';
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
export * as cuda from './cuda/index.js';
export * as jobs from './jobs/index.js';
