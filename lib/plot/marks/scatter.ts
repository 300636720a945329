// Scatter layer (matplotlib's pl.scatter): one symbol per row of an [n, 2] point set.
import type { Matrix } from '../data.js';
import { range, type Extent, type Layer, type LegendEntry, type SeriesEncoding, type VlSpec } from '../layer.js';
import { MARKER_EDGE_WIDTH, MARKER_SHAPES, markerSize, type Marker } from '../style.js';

export interface ScatterStyle {
  readonly marker: Marker;
  readonly color: string;
  /** Marker area in points² (matplotlib's `s`). */
  readonly size: number;
  readonly alpha: number;
  readonly label: string | null;
}

export class ScatterLayer implements Layer {
  readonly legend: LegendEntry | null;
  readonly xticks = null;

  constructor(private readonly points: Matrix, private readonly style: ScatterStyle) {
    const { shape, filled } = MARKER_SHAPES[style.marker];
    this.legend = style.label === null ? null : {
      label: style.label,
      stroke: style.color,
      fill: filled ? style.color : 'transparent',
      shape,
      size: markerSize(style.size),
      strokeWidth: MARKER_EDGE_WIDTH,
    };
  }

  extent(): Extent | null {
    if (this.points.rows === 0) return null;
    return { x: range(this.points.data, 0, 2), y: range(this.points.data, 1, 2) };
  }

  *anchors(): Iterable<readonly [number, number]> {
    const d = this.points.data;
    for (let i = 0; i < this.points.rows; i++) yield [d[2 * i]!, d[2 * i + 1]!];
  }

  toVegaLite(series: SeriesEncoding): VlSpec[] {
    const { shape, filled } = MARKER_SHAPES[this.style.marker];
    const d = this.points.data;
    const label = this.style.label;
    const values = Array.from({ length: this.points.rows }, (_, i) =>
      label === null ? { x: d[2 * i], y: d[2 * i + 1] } : { x: d[2 * i], y: d[2 * i + 1], series: label });
    // alpha on face and edge separately, as matplotlib does (and cheaper to rasterise than group opacity)
    const mark: VlSpec = {
      type: 'point', shape, size: markerSize(this.style.size), opacity: 1,
      fillOpacity: this.style.alpha, strokeOpacity: this.style.alpha, strokeWidth: MARKER_EDGE_WIDTH, clip: true,
    };
    if (label === null) Object.assign(mark, { fill: filled ? this.style.color : 'transparent', stroke: this.style.color });
    const encoding: VlSpec = label === null ? {} : { ...series };
    return [{ data: { values }, mark, encoding }];
  }
}
