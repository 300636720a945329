// Cost matrices (POT: ot.dist): the public surface of lib/costs.
export { dist, distAsync, DIST_METRICS, type DistMetric, type DistOptions, type DistAsyncOptions, type DistInput } from './dist.js';
