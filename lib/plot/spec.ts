// Composes a figure's state (layers, labels, limits, legend) into one layered vega-lite spec styled like
// matplotlib's defaults: boxed axes, outward ticks, 5 % data margins, tab10 colours, white background.
import { axisDomain, niceTicks, tickBins, tickFormat } from './axes.js';
import type { Layer, Ticks, VlSpec } from './layer.js';
import { bestCorner, legendBox, legendConfig, seriesEncoding, uniqueEntries, type LegendLoc } from './legend.js';
import { AXES, FONT, LEGEND, LINE_HANDLE } from './style.js';

export interface FigureState {
  width: number;
  height: number;
  title: string | null;
  xlabel: string | null;
  ylabel: string | null;
  grid: boolean;
  legend: LegendLoc | false;
  xlim: readonly [number, number] | null;
  ylim: readonly [number, number] | null;
  xformat: string | null;
  yformat: string | null;
  xticks: Ticks | null;
  readonly layers: Layer[];
}

/** Rough plot-area size: the figure less room for tick labels, axis titles and the title. */
function plotArea(s: FigureState): { w: number; h: number } {
  const left = 4.5 * FONT.size + (s.ylabel ? 1.6 * FONT.size : 0);
  const bottom = 2.2 * FONT.size + (s.xlabel ? 1.6 * FONT.size : 0);
  const top = s.title ? 2 * FONT.titleSize : FONT.size;
  return { w: Math.max(50, s.width - left - FONT.size), h: Math.max(50, s.height - top - bottom) };
}

function ticksAxis(t: Ticks): VlSpec {
  return {
    values: [...t.values],
    labelExpr: `${JSON.stringify(t.labels)}[indexof(${JSON.stringify(t.values)}, datum.value)]`,
  };
}

function axisEncoding(field: 'x' | 'y', domain: [number, number], lengthPx: number, title: string | null,
  format: string | null, grid: boolean, ticks: Ticks | null): VlSpec {
  const axis: VlSpec = { title, grid };
  if (ticks) {
    Object.assign(axis, ticksAxis(ticks));
  } else {
    // matplotlib's locator and formatter, computed here so every label has the same number of digits
    const { values, step } = niceTicks(domain[0], domain[1], tickBins(lengthPx, field, FONT.size));
    Object.assign(axis, { values, format: format ?? tickFormat(domain, step) });
  }
  return { field, type: 'quantitative', scale: { domain, nice: false, zero: false }, axis };
}

/** The y encoding drawn downwards (an image's rows) when `flip`. */
function flipped(enc: VlSpec, flip: boolean): VlSpec {
  return flip ? { ...enc, scale: { ...(enc['scale'] as VlSpec), reverse: true } } : enc;
}

/** The vega-lite spec of a figure; `measure` gives label widths in px for legend placement. */
export function buildSpec(s: FigureState, measure: (text: string) => number): VlSpec {
  const extents = s.layers.map((l) => l.extent()).filter((e) => e !== null);
  const xd = axisDomain(extents.map((e) => e.x), s.xlim, extents.length > 0 && extents.every((e) => e.tightX === true));
  const yd = axisDomain(extents.map((e) => e.y), s.ylim, extents.length > 0 && extents.every((e) => e.tightY === true));
  const flipY = extents.some((e) => e.flipY === true);
  const area = plotArea(s);
  const xticks = s.xticks ?? s.layers.find((l) => l.xticks !== null)?.xticks ?? null;

  const entries = uniqueEntries(s.layers.map((l) => l.legend));
  let corner: Exclude<LegendLoc, 'best'> = 'upper right';
  if (s.legend !== false && s.legend !== 'best') corner = s.legend;
  else if (s.legend === 'best' && entries.length > 0) {
    const box = legendBox(entries, measure);
    const toAxes = function* (): Iterable<readonly [number, number]> {
      for (const l of s.layers) {
        for (const [x, y] of l.anchors()) yield [(x - xd[0]) / (xd[1] - xd[0]), (y - yd[0]) / (yd[1] - yd[0])];
      }
    };
    corner = bestCorner(toAxes(), { w: (box.width + LEGEND.offset) / area.w, h: (box.height + LEGEND.offset) / area.h });
  }
  const series = seriesEncoding(entries, s.legend === false ? null : corner);

  const layer = s.layers.flatMap((l) => l.toVegaLite(series));
  // vega-lite needs one layer to draw axes at all; an empty figure still shows its frame
  if (layer.length === 0) layer.push({ data: { values: [] }, mark: { type: 'point', opacity: 0 } });

  const spec: VlSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: s.width,
    height: s.height,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    padding: FONT.size,
    encoding: {
      x: axisEncoding('x', xd, area.w, s.xlabel, s.xformat, s.grid, xticks),
      y: flipped(axisEncoding('y', yd, area.h, s.ylabel, s.yformat, s.grid, null), flipY),
    },
    layer,
    config: {
      // no per-item aria-labels: they would triple the SVG of a plan with thousands of segments
      aria: false,
      font: FONT.family,
      view: { stroke: '#000000', strokeWidth: AXES.lineWidth, fill: 'white' },
      axis: {
        domain: false,
        tickColor: '#000000',
        tickSize: AXES.tickSize,
        tickWidth: AXES.lineWidth,
        labelColor: '#000000',
        labelFontSize: FONT.size,
        labelPadding: AXES.tickPad,
        labelFlush: false,
        titleColor: '#000000',
        titleFontSize: FONT.size,
        titleFontWeight: 'normal',
        titlePadding: AXES.labelPad,
        gridColor: AXES.gridColor,
        gridWidth: AXES.gridWidth,
        gridOpacity: 1,
      },
      legend: legendConfig(entries.length > 0 && entries.every((e) => e.shape === LINE_HANDLE.shape)),
      title: { fontSize: FONT.titleSize, fontWeight: 'normal', color: '#000000', offset: AXES.titlePad },
    },
  };
  if (s.title) spec['title'] = s.title;
  return spec;
}
