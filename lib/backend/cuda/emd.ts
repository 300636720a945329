// Exact OT for cuda tensors: there is no GPU network simplex (its pivots are sequential), so M is
// copied to the host once and solved by the CPU kernel; the method wraps the results as cuda tensors
// (as POT does for torch GPU tensors: to numpy, solve, back to the device).
export { emd, emdAsync, emdBatch, emdBatchAsync } from '../cpu/emd.js';
