// Toy data sets (POT: ot.datasets), reproducing POT's samples for a given integer seed.
export { makeDataClassif, type ClassifDataset, type ClassifData, type MakeDataClassifOptions } from './classif.js';
export { make1DGauss, make2DSamplesGauss, type Make2DSamplesGaussOptions } from './gauss.js';
export { RandomState, type SeedInput } from './numpy-random.js';
