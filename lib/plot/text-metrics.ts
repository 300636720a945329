// Text widths from a TrueType font's advance widths (cmap format 4 + hmtx), so vega lays out axes, titles and
// legends for the font resvg will actually draw, instead of its 0.8·em-per-character guess.
import { readFileSync } from 'node:fs';

/** Measures the advance width (px) of a string at a font size, ignoring kerning. */
export type Measure = (text: string, fontSize: number) => number;

interface Tables {
  readonly view: DataView;
  readonly offsets: ReadonlyMap<string, number>;
}

function readTables(buf: Buffer): Tables {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const numTables = view.getUint16(4);
  const offsets = new Map<string, number>();
  for (let t = 0; t < numTables; t++) {
    const rec = 12 + 16 * t;
    const tag = String.fromCharCode(view.getUint8(rec), view.getUint8(rec + 1), view.getUint8(rec + 2), view.getUint8(rec + 3));
    offsets.set(tag, view.getUint32(rec + 8));
  }
  return { view, offsets };
}

/** Glyph lookup through the first Unicode BMP (format 4) cmap subtable. */
function cmap4(view: DataView, cmapAt: number): (code: number) => number {
  const n = view.getUint16(cmapAt + 2);
  let sub = -1;
  for (let k = 0; k < n && sub < 0; k++) {
    const rec = cmapAt + 4 + 8 * k;
    const platform = view.getUint16(rec);
    const encoding = view.getUint16(rec + 2);
    const at = cmapAt + view.getUint32(rec + 4);
    if ((platform === 3 && encoding === 1) || platform === 0) {
      if (view.getUint16(at) === 4) sub = at;
    }
  }
  if (sub < 0) throw new Error('no format-4 cmap');
  const segs = view.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segs + 2;
  const deltas = starts + 2 * segs;
  const rangeOffsets = deltas + 2 * segs;
  return (code) => {
    if (code > 0xffff) return 0;
    for (let s = 0; s < segs; s++) {
      if (view.getUint16(ends + 2 * s) < code) continue;
      const start = view.getUint16(starts + 2 * s);
      if (start > code) return 0;
      const delta = view.getInt16(deltas + 2 * s);
      const ro = view.getUint16(rangeOffsets + 2 * s);
      if (ro === 0) return (code + delta) & 0xffff;
      const g = view.getUint16(rangeOffsets + 2 * s + ro + 2 * (code - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
}

/** Builds a Measure from a .ttf file; throws if the file is not a TrueType font with the needed tables. */
export function measureFromFont(path: string): Measure {
  const { view, offsets } = readTables(readFileSync(path));
  const head = offsets.get('head');
  const hhea = offsets.get('hhea');
  const hmtx = offsets.get('hmtx');
  const cmap = offsets.get('cmap');
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined) {
    throw new Error(`${path}: missing head/hhea/hmtx/cmap table`);
  }
  const unitsPerEm = view.getUint16(head + 18);
  const numMetrics = view.getUint16(hhea + 34);
  const glyphOf = cmap4(view, cmap);
  const advance = (glyph: number): number => view.getUint16(hmtx + 4 * Math.min(glyph, numMetrics - 1));
  const cache = new Map<number, number>();
  const em = (code: number): number => {
    let w = cache.get(code);
    if (w === undefined) {
      w = advance(glyphOf(code)) / unitsPerEm;
      cache.set(code, w);
    }
    return w;
  };
  return (text, fontSize) => {
    let sum = 0;
    for (const ch of text) sum += em(ch.codePointAt(0)!);
    return sum * fontSize;
  };
}

/** Fallback when no font file is found: DejaVu Sans averages about 0.6 em per character. */
export const estimateMeasure: Measure = (text, fontSize) => 0.6 * [...text].length * fontSize;
