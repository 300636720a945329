// ot.plot: figures for OT workflows (POT: ot.plot plus the matplotlib calls of its gallery examples),
// rendered offline to SVG and PNG.
export { figure, Figure, type FigureOptions, type ScatterOptions, type LineOptions, type SegmentsOptions, type BoxplotOptions, type ImageOptions, type SaveOptions } from './figure.js';
export { plot2DSamplesMat, type Plot2DSamplesMatOptions } from './plot2d-samples-mat.js';
export { plot1DMat, type Plot1DMatOptions } from './plot1d-mat.js';
export type { LegendLoc } from './legend.js';
export type { MatrixLike, VectorLike } from './data.js';
export type { Marker } from './style.js';
