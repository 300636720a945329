// POT's ot.bregman names: entropic OT with POT's argument order (sinkhorn, sinkhorn2) and their async twins.
export { sinkhorn, sinkhorn2, sinkhornAsync, sinkhorn2Async, type SinkhornOptions, type SinkhornAsyncOptions, type WeightsInput } from './sinkhorn.js';
