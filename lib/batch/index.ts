// Batched OT (POT: ot.batch): many small problems solved at once, threaded over the batch.
export {
  solveBatch, solveBatchAsync, type SolveBatchOptions, type SolveBatchAsyncOptions, type BatchSolver, type BatchGrad,
  type BatchStopRule,
} from './solve-batch.js';
export { distBatch, distBatchAsync, type DistBatchOptions, type DistBatchAsyncOptions, type BatchMetric } from './dist-batch.js';
export { BatchResult, type BatchStatus } from './result.js';
