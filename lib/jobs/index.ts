// Batch jobs (ot.jobs): pairwise OT values over lists of measures; the CLI and the Redis workers run on these.
export { pairwise, PairwiseResult, type PairwiseOptions, type JobProgress, type MeasureInput } from './pairwise.js';
