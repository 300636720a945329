// Exact OT under POT's names (POT: ot.lp): emd, emd2 and their async twins.
export { emd, emd2, emdAsync, emd2Async, type EmdOptions, type EmdAsyncOptions } from './emd.js';
// The exact barycenter, a linear program (POT's ot.lp.barycenter).
export { barycenter, type LpBarycenterOptions } from './barycenter.js';
