// POT's ot.bregman names: entropic OT with POT's argument order (sinkhorn, sinkhorn2, async twins) and the entropic barycenter.
export { sinkhorn, sinkhorn2, sinkhornAsync, sinkhorn2Async, type SinkhornOptions, type SinkhornAsyncOptions, type WeightsInput } from './sinkhorn.js';
export { barycenter, barycenterAsync, type BarycenterOptions, type BarycenterAsyncOptions } from './barycenter.js';
