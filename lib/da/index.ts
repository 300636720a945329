// POT's ot.da: domain adaptation by optimal transport (SinkhornTransport, EMDTransport).
export { BaseTransport, type FitInput, type Samples, type Labels } from './transport.js';
export { SinkhornTransport, type SinkhornTransportOptions } from './sinkhorn-transport.js';
export { EMDTransport, type EMDTransportOptions } from './emd-transport.js';
