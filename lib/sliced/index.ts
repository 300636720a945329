// ot.sliced: the sliced Wasserstein distances and their random directions (POT: ot.sliced).
export {
  slicedWassersteinDistance, slicedWassersteinDistanceAsync, maxSlicedWassersteinDistance, maxSlicedWassersteinDistanceAsync,
  type SlicedOptions, type SlicedAsyncOptions,
} from './distances.js';
export { getRandomProjections } from './projections.js';
