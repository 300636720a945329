// Solvers namespace: entropic ot.solve (POT's ot.solve with reg > 0), its async twin and OTResult.
export { solve, solveAsync, type SolveOptions, type SolveAsyncOptions } from './solve.js';
export { OTResult, type SolveStatus } from './result.js';
export { GRAD_MODES, type GradMode } from './grad-modes.js';
export type { EntropicRegType } from '../core/vocabulary.js';
