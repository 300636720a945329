// The figure's single legend (matplotlib's pl.legend(loc=…)): one entry per labelled layer, drawn by vega from
// scales shared by all labelled layers, placed in the corner that covers the fewest data ('best').
import type { LegendEntry, SeriesEncoding, VlSpec } from './layer.js';
import { FONT, LEGEND, LINE_HANDLE, LINE_WIDTH, MARKER_AREA_PT2, markerSize } from './style.js';

export type LegendLoc = 'best' | 'upper right' | 'upper left' | 'lower left' | 'lower right' | 'outside';
export const LEGEND_LOCS: readonly LegendLoc[] = ['best', 'upper right', 'upper left', 'lower left', 'lower right', 'outside'];

/** matplotlib's order of preference among equally good corners. */
const CORNERS = ['upper right', 'upper left', 'lower left', 'lower right'] as const;
type Corner = (typeof CORNERS)[number];

const ORIENT: Readonly<Record<Corner | 'outside', string>> = {
  'upper right': 'top-right', 'upper left': 'top-left', 'lower left': 'bottom-left', 'lower right': 'bottom-right',
  outside: 'right',
};

/** First entry per label wins, like a legend built from the first artist with that label. */
export function uniqueEntries(entries: readonly (LegendEntry | null)[]): LegendEntry[] {
  const seen = new Map<string, LegendEntry>();
  for (const e of entries) if (e && !seen.has(e.label)) seen.set(e.label, e);
  return [...seen.values()];
}

/**
 * One row height for all entries, as in matplotlib: the text height, or more for big markers (vega would size
 * each row by its symbol's area, making rows with a 2 em line handle twice as tall).
 */
function rowHeight(entries: readonly LegendEntry[]): number {
  const markers = entries.filter((e) => e.shape !== LINE_HANDLE.shape).map((e) => Math.sqrt(e.size) + e.strokeWidth);
  return Math.max(FONT.size, ...markers);
}

/** Legend frame size in px for the given entries. */
export function legendBox(entries: readonly LegendEntry[], measure: (text: string) => number): { width: number; height: number } {
  const labelWidth = Math.max(0, ...entries.map((e) => measure(e.label)));
  const n = entries.length;
  return {
    width: 2 * LEGEND.padding + LEGEND.symbolLength + LEGEND.symbolGap + labelWidth,
    height: 2 * LEGEND.padding + n * rowHeight(entries) + Math.max(0, n - 1) * LEGEND.rowGap,
  };
}

/**
 * The corner whose legend box covers the fewest anchors; `anchors` are in axes fractions ([0,1]², y up) and
 * `box` is the legend size as a fraction of the plot area (offset included).
 */
export function bestCorner(anchors: Iterable<readonly [number, number]>, box: { w: number; h: number }): Corner {
  const counts = new Map<Corner, number>(CORNERS.map((c) => [c, 0]));
  for (const [u, v] of anchors) {
    const right = u >= 1 - box.w && u <= 1;
    const left = u <= box.w && u >= 0;
    const top = v >= 1 - box.h && v <= 1;
    const bottom = v <= box.h && v >= 0;
    if (top && right) counts.set('upper right', counts.get('upper right')! + 1);
    if (top && left) counts.set('upper left', counts.get('upper left')! + 1);
    if (bottom && left) counts.set('lower left', counts.get('lower left')! + 1);
    if (bottom && right) counts.set('lower right', counts.get('lower right')! + 1);
  }
  let best: Corner = CORNERS[0];
  for (const c of CORNERS) if (counts.get(c)! < counts.get(best)!) best = c;
  return best;
}

/** Shared encodings so vega-lite merges every labelled layer's channels into one legend (none when `loc` is null). */
export function seriesEncoding(entries: readonly LegendEntry[], loc: Corner | 'outside' | null): SeriesEncoding {
  const domain = entries.map((e) => e.label);
  const legend: VlSpec | null = loc === null ? null : { title: null, orient: ORIENT[loc], clipHeight: rowHeight(entries) };
  // an explicit 'ordinal' scale maps label k to range[k]; vega-lite's default for size would interpolate
  // (size and strokeWidth take an 'ordinal' field type: vega-lite warns against sizing by a nominal field)
  const channel = (range: unknown[], type = 'nominal'): VlSpec =>
    ({ field: 'series', type, scale: { type: 'ordinal', domain, range }, legend });
  return {
    stroke: channel(entries.map((e) => e.stroke)),
    fill: channel(entries.map((e) => e.fill)),
    shape: channel(entries.map((e) => e.shape)),
    size: channel(entries.map((e) => e.size), 'ordinal'),
    strokeWidth: channel(entries.map((e) => e.strokeWidth), 'ordinal'),
  };
}

/** vega-lite legend config for matplotlib's look: translucent white frame with a light grey edge. */
export function legendConfig(allLines: boolean): VlSpec {
  return {
    padding: LEGEND.padding,
    offset: LEGEND.offset,
    fillColor: LEGEND.fill,
    strokeColor: LEGEND.stroke,
    cornerRadius: LEGEND.cornerRadius,
    labelFontSize: FONT.size,
    labelColor: '#000000',
    labelLimit: 0,
    labelOffset: LEGEND.symbolGap,
    rowPadding: LEGEND.rowGap,
    symbolOpacity: 1,
    // with only lines labelled there is no shape/size scale: the config gives the handle
    symbolType: allLines ? LINE_HANDLE.shape : 'circle',
    symbolSize: allLines ? LINE_HANDLE.size : markerSize(MARKER_AREA_PT2),
    symbolStrokeWidth: LINE_WIDTH,
    symbolLimit: 0,
  };
}
