// Solvers namespace: ot.solve (POT's dispatcher), its async twin, OTResult and the Sinkhorn divergence.
export { solve, solveAsync, type SolveOptions, type SolveAsyncOptions } from './solve.js';
export { OTResult, type SolveStatus } from './result.js';
export { GRAD_MODES, type GradMode } from './grad-modes.js';
export type { EntropicRegType } from '../core/vocabulary.js';
export { sinkhornDivergence, sinkhornDivergenceAsync, type SinkhornDivergenceOptions, type SinkhornDivergenceAsyncOptions } from './divergence.js';
export { solveSample, solveSampleAsync, type SolveSampleOptions, type SolveSampleAsyncOptions } from './sample.js';
export { SampleResult, type LazyPlan } from './sample-result.js';
export { lazySolve, lazySolveAsync, type LazySolveOptions, type LazySolveAsyncOptions } from './lazy.js';
