// What every drawable (scatter, line, segments, boxplot) hands the figure: its vega-lite layers, its data
// extent for the axis limits, a legend entry, and sample positions for choosing where the legend goes.

/** A vega-lite spec fragment (plain JSON). */
export type VlSpec = Record<string, unknown>;

/**
 * Data limits of a layer; `tightX` / `tightY` ask for no margin (matplotlib's boxplot sets xlim to
 * [0.5, n+0.5]; imshow fits the image); `flipY` draws y downwards (imshow: row 0 at the top).
 */
export interface Extent {
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
  readonly tightX?: boolean;
  readonly tightY?: boolean;
  readonly flipY?: boolean;
}

/** How a labelled series looks in the legend. */
export interface LegendEntry {
  readonly label: string;
  readonly stroke: string;
  /** Fill colour, or 'transparent' for stroked markers and lines. */
  readonly fill: string;
  /** vega symbol shape: 'circle' or an SVG path (LINE_HANDLE for lines). */
  readonly shape: string;
  /** Symbol area in px². */
  readonly size: number;
  readonly strokeWidth: number;
}

/** The vega-lite encodings a labelled layer uses so that all labelled layers share one merged legend. */
export interface SeriesEncoding {
  readonly stroke: VlSpec;
  readonly fill: VlSpec;
  readonly shape: VlSpec;
  readonly size: VlSpec;
  readonly strokeWidth: VlSpec;
}

/** Explicit x tick positions with their labels (used by boxplot for its group names). */
export interface Ticks {
  readonly values: readonly number[];
  readonly labels: readonly string[];
}

export interface Layer {
  readonly legend: LegendEntry | null;
  readonly xticks: Ticks | null;
  extent(): Extent | null;
  /** Positions (data coordinates) the legend should avoid covering. */
  anchors(): Iterable<readonly [number, number]>;
  /** Vega-lite unit specs using fields x, y (and x2, y2); labelled layers add a `series` field. */
  toVegaLite(series: SeriesEncoding): VlSpec[];
}

/** min/max of every other entry of an interleaved [x0, y0, x1, y1, …] array starting at `offset`. */
export function range(data: ArrayLike<number>, offset: number, stride: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = offset; i < data.length; i += stride) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
