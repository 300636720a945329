// Line layer (matplotlib's pl.plot(x, y)): a polyline through the points in the order given, e.g. a loss curve.
import { range, type Extent, type Layer, type LegendEntry, type SeriesEncoding, type VlSpec } from '../layer.js';
import { LINE_HANDLE } from '../style.js';

export interface LineStyle {
  readonly color: string;
  readonly alpha: number;
  readonly width: number;
  readonly label: string | null;
}

export class LineLayer implements Layer {
  readonly legend: LegendEntry | null;
  readonly xticks = null;

  constructor(private readonly xs: Float64Array, private readonly ys: Float64Array, private readonly style: LineStyle) {
    this.legend = style.label === null ? null : {
      label: style.label, stroke: style.color, fill: 'transparent', shape: LINE_HANDLE.shape,
      size: LINE_HANDLE.size, strokeWidth: style.width,
    };
  }

  extent(): Extent | null {
    if (this.xs.length === 0) return null;
    return { x: range(this.xs, 0, 1), y: range(this.ys, 0, 1) };
  }

  *anchors(): Iterable<readonly [number, number]> {
    for (let i = 0; i < this.xs.length; i++) yield [this.xs[i]!, this.ys[i]!];
  }

  toVegaLite(series: SeriesEncoding): VlSpec[] {
    const label = this.style.label;
    // `i` keeps the drawing order: vega-lite would otherwise sort a line's points by x
    const values = Array.from(this.xs, (x, i) =>
      label === null ? { x, y: this.ys[i], i } : { x, y: this.ys[i], i, series: label });
    const mark: VlSpec = {
      type: 'line', strokeWidth: this.style.width, opacity: this.style.alpha, clip: true,
      strokeCap: 'square', strokeJoin: 'round',
    };
    if (label === null) mark['stroke'] = this.style.color;
    const encoding: VlSpec = { order: { field: 'i', type: 'quantitative' } };
    if (label !== null) encoding['stroke'] = series.stroke;
    return [{ data: { values }, mark, encoding }];
  }
}
