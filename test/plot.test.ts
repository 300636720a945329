// ot.plot: SVG structure of each layer kind, legend and tick labels, POT's plot2D_samples_mat thresholding,
// matplotlib's boxplot statistics and tick locator, and PNG output (size, non-blank, text actually drawn).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { niceTicks, tickFormat } from '../lib/plot/axes.js';
import { fontSetup } from '../lib/plot/fonts.js';
import { boxStats, percentile } from '../lib/plot/marks/boxplot-stats.js';
import { compileSpec, rasterize } from '../lib/plot/render.js';

/** Item elements of every vega mark group of a type ('symbol', 'rule', 'rect', 'line'), by group class. */
function markGroups(svg: string, type: string): { name: string; items: string[] }[] {
  const re = new RegExp(`<g class="mark-${type} role-mark ([^"]*)"[^>]*>(.*?)</g>`, 'gs');
  return [...svg.matchAll(re)].map((m) => ({ name: m[1]!, items: m[2]!.match(/<(path|line)\b[^>]*>/g) ?? [] }));
}

/** Texts drawn in the SVG (tick labels, titles, legend labels). */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Pixels darker than light grey inside the rectangle [x0, x1) × [y0, y1). */
function darkPixels(r: { width: number; pixels: Buffer }, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const k = 4 * (y * r.width + x);
      if (r.pixels[k]! + r.pixels[k + 1]! + r.pixels[k + 2]! < 3 * 160) n++;
    }
  }
  return n;
}

const cloud = (n: number, seed: number, shift: number): number[][] =>
  (ot.randn([n, 2], { seed }).toArray() as number[][]).map(([x, y]) => [x! + shift, y! + shift]);

describe('plot: scatter', () => {
  it('draws one symbol per point, with both markers and both labels in the legend', async () => {
    const xs = cloud(30, 1, 0);
    const xt = cloud(20, 2, 4);
    const fig = ot.plot.figure({ title: 'Source and target distributions' });
    fig.scatter(ot.tensor(xs), { marker: '+', label: 'Source samples' }).scatter(xt, { marker: 'o', label: 'Target samples' });
    const svg = await fig.toSVG();
    const groups = markGroups(svg, 'symbol');
    expect(groups.find((g) => g.name.includes('layer_0'))!.items).toHaveLength(30);
    expect(groups.find((g) => g.name.includes('layer_1'))!.items).toHaveLength(20);
    const t = texts(svg);
    expect(t).toContain('Source samples');
    expect(t).toContain('Target samples');
    expect(t).toContain('Source and target distributions');
    // '+' is a stroked cross in the first tab10 colour; 'o' a filled circle in the second
    const legend = markGroups(svg, 'symbol').length;
    expect(legend).toBeGreaterThanOrEqual(2);
    expect(svg).toMatch(/<path[^>]*d="M-[\d.]+,0L[\d.]+,0M0,-[\d.]+L0,[\d.]+"[^>]*stroke="#1f77b4"/);
    expect(svg).toMatch(/fill="#ff7f0e"/);
    expect(svg).toMatch(/role-legend-symbol/);
  });

  it('reads Tensors, nested arrays and objects with toArray() alike', async () => {
    const pts = [[0, 0], [1, 2], [3, 1]];
    // vega numbers clip paths per process; the drawing itself must be identical
    const render = async (X: ot.plot.MatrixLike): Promise<string> => (await ot.plot.figure().scatter(X).toSVG()).replace(/clip\d+/g, 'clip');
    const a = await render(pts);
    const b = await render(ot.tensor(pts, { dtype: 'float32' }));
    const c = await render({ toArray: () => pts });
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('cycles tab10 colours and keeps an explicit colour out of the cycle', async () => {
    const fig = ot.plot.figure().scatter([[0, 0]]).scatter([[1, 1]], { color: 'k' }).scatter([[2, 2]]);
    const svg = await fig.toSVG();
    expect(svg).toContain('fill="#1f77b4"');
    expect(svg).toContain('fill="#000000"');
    expect(svg).toContain('fill="#ff7f0e"');
  });

  it('rejects bad input with OTError codes', () => {
    const fig = ot.plot.figure();
    expect(() => fig.scatter([[0, 0, 0]])).toThrow(/scatter: X must have 2 columns/);
    expect(() => fig.scatter([[0, NaN]])).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(() => fig.scatter([[0, 0]], { marker: 's' as never })).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG' }));
    expect(() => fig.scatter([[0, 0]], { colour: 'red' } as never)).toThrow(/unknown option 'colour'/);
    expect(() => fig.scatter([[0, 0]], { alpha: 2 })).toThrow(/alpha must be in \[0, 1\]/);
    expect(() => ot.plot.figure({ width: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(() => ot.plot.figure({ legend: 'middle' as never })).toThrow(/legend must be one of/);
  });
});

describe('plot: line', () => {
  it('draws the curve in order with grid lines and axis titles', async () => {
    const losses = Array.from({ length: 200 }, (_, i) => -2 + Math.exp(-i / 40));
    const fig = ot.plot.figure({ title: 'Dual objective (negative)' }).line(losses).grid(true).xlabel('Iterations').ylabel('loss');
    const svg = await fig.toSVG();
    const line = markGroups(svg, 'line');
    expect(line).toHaveLength(1);
    expect(line[0]!.items).toHaveLength(1);
    // 200 points → one moveto and 199 linetos
    expect(line[0]!.items[0]!.match(/L/g)).toHaveLength(199);
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['Iterations', 'loss', 'Dual objective (negative)', '0', '100', '200']));
    const grids = [...svg.matchAll(/<g class="mark-rule role-axis-grid"[^>]*>(.*?)<\/g>/gs)];
    expect(grids).toHaveLength(2);
    for (const g of grids) expect(g[1]!.match(/<line/g)!.length).toBeGreaterThanOrEqual(3);
    const noGrid = await ot.plot.figure().line(losses).toSVG();
    expect(noGrid).not.toContain('role-axis-grid');
  });

  it('checks x against ys and shows a stroke handle for a labelled line', async () => {
    expect(() => ot.plot.figure().line([1, 2, 3], { x: [0, 1] })).toThrow(/x has 2 entries but ys has 3/);
    const svg = await ot.plot.figure().line([3, 1, 2], { x: [0, 5, 10], label: 'loss' }).toSVG();
    expect(texts(svg)).toContain('loss');
    expect((await compileSpec(ot.plot.figure().line([3, 1, 2], { label: 'loss' }).toSpec())).warnings).toEqual([]);
  });
});

describe('plot: boxplot', () => {
  it('matches matplotlib.cbook.boxplot_stats', () => {
    // numpy: percentile([1..9, 100], [25, 50, 75]) = 3.25, 5.5, 7.75; whiskers reach 1 and 9; 100 is a flier
    const s = boxStats([5, 1, 100, 3, 2, 4, 6, 7, 9, 8]);
    expect(s.q1).toBeCloseTo(3.25, 12);
    expect(s.median).toBeCloseTo(5.5, 12);
    expect(s.q3).toBeCloseTo(7.75, 12);
    expect([s.whislo, s.whishi]).toEqual([1, 9]);
    expect(s.fliers).toEqual([100]);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    // no datum between q3 and the whisker limit → the whisker stops at q3
    const t = boxStats([0, 0, 0, 10]);
    expect(t.whishi).toBe(t.q3);
    expect(t.fliers).toEqual([10]);
  });

  it('draws boxes, medians and whiskers with the tick labels and a scientific y axis', async () => {
    const r = ot.rand([60], { seed: 7 }).toArray() as number[];
    const groups = [0, 1, 2].map((g) => r.slice(20 * g, 20 * g + 20).map((v) => (3 + g + v) * 1e-3));
    groups[1]!.push(0.05); // an outlier, hidden by default
    const labels = ['autodiff', 'envelope', 'last_step'];
    const fig = ot.plot.figure({ width: 500, height: 300 }).boxplot(groups, labels).ylabel('Time (s)');
    const svg = await fig.toSVG();
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining([...labels, 'Time (s)']));
    const yLabels = t.filter((s) => /e-3$/.test(s));
    expect(yLabels.length).toBeGreaterThanOrEqual(3);
    for (const s of yLabels) expect(s).toMatch(/^\d\.\de-3$/);
    expect(markGroups(svg, 'rect').flatMap((g) => g.items)).toHaveLength(3);
    const rules = markGroups(svg, 'rule').flatMap((g) => g.items);
    // 6 whiskers, 6 caps, 3 medians; no fliers
    expect(rules).toHaveLength(15);
    expect(rules.filter((l) => l.includes('stroke="#ff7f0e"'))).toHaveLength(3);
    expect(markGroups(svg, 'symbol')).toHaveLength(0);
    const withFliers = await ot.plot.figure().boxplot(groups, labels, { showfliers: true }).toSVG();
    const fliers = groups.reduce((n, g) => n + boxStats(g).fliers.length, 0);
    expect(fliers).toBeGreaterThanOrEqual(1);
    expect(markGroups(withFliers, 'symbol').flatMap((g) => g.items)).toHaveLength(fliers);
  });

  it('rejects mismatched labels and empty groups', () => {
    expect(() => ot.plot.figure().boxplot([[1], [2]], ['a'])).toThrow(/labels has 1 entries but groups has 2/);
    expect(() => ot.plot.figure().boxplot([[1], []], ['a', 'b'])).toThrow(/groups\[1\] is empty/);
  });
});

describe('plot: plot2DSamplesMat', () => {
  const xs = [[0, 0], [0, 1], [0, 2]];
  const xt = [[3, 0], [3, 1], [3, 2], [3, 3]];
  // max 0.5: four entries above 1e-8 · max, one exactly at the threshold, the rest zero or tiny
  const G = [
    [0.5, 0.25, 0, 0],
    [0, 5e-9, 0.1, 1e-12],
    [0, 0, 0, 0.05],
  ];

  it('draws one segment per entry with G / max(G) > thr, opacity alpha · G / max(G)', async () => {
    const fig = ot.plot.figure();
    ot.plot.plot2DSamplesMat(fig, xs, ot.tensor(xt), ot.tensor(G), { alpha: 0.5 });
    const svg = await fig.toSVG();
    const segs = markGroups(svg, 'rule').flatMap((g) => g.items);
    expect(segs).toHaveLength(4);
    const opacities = segs.map((s) => Number(/stroke-opacity="([^"]+)"/.exec(s)![1])).sort((a, b) => a - b);
    const want = [0.05, 0.1, 0.25, 0.5].map((g) => (0.5 * g) / 0.5);
    opacities.forEach((o, k) => expect(o).toBeCloseTo(want[k]!, 12));
    expect(segs.every((s) => s.includes('stroke="#000000"'))).toBe(true);
  });

  it('honours thr and composes with scatters and a legend', async () => {
    const fig = ot.plot.figure({ title: 'OT plan' });
    ot.plot.plot2DSamplesMat(fig, xs, xt, G, { thr: 0.3, color: 'C2' });
    fig.scatter(xs, { marker: '+', label: 'Source samples' }).scatter(xt, { marker: 'o', label: 'Target samples' });
    const svg = await fig.toSVG();
    const segs = markGroups(svg, 'rule').flatMap((g) => g.items);
    expect(segs).toHaveLength(2);
    expect(segs.every((s) => s.includes('stroke="#2ca02c"'))).toBe(true);
    // the plan takes no colour from the cycle: the scatters are C0 and C1 as in POT's figure
    expect(svg).toContain('stroke="#1f77b4"');
    expect(svg).toContain('fill="#ff7f0e"');
    expect(texts(svg)).toEqual(expect.arrayContaining(['Source samples', 'Target samples', 'OT plan']));
    expect((await compileSpec(fig.toSpec())).warnings).toEqual([]);
  });

  it('rejects a plan of the wrong shape or with negative entries', () => {
    const fig = ot.plot.figure();
    expect(() => ot.plot.plot2DSamplesMat(fig, xs, xt, [[1, 2], [3, 4]])).toThrow(/G has shape \[2, 2\] but xs has 3 rows and xt has 4/);
    expect(() => ot.plot.plot2DSamplesMat(fig, xs, xt, G.map((r) => r.map((v) => -v)))).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(() => ot.plot.plot2DSamplesMat(fig, xs, xt, G, { thresh: 1 } as never)).toThrow(/unknown option 'thresh'/);
  });
});

describe('plot: axes and legend', () => {
  it('places ticks like matplotlib MaxNLocator and formats them uniformly', () => {
    expect(niceTicks(-10, 210, 9).values).toEqual([0, 25, 50, 75, 100, 125, 150, 175, 200]);
    expect(niceTicks(2.4e-3, 6.9e-3, 7).values.map((v) => +v.toPrecision(6))).toEqual([3e-3, 4e-3, 5e-3, 6e-3]);
    expect(tickFormat([2.4e-3, 6.9e-3], 1e-3)).toBe('.1e');
    expect(tickFormat([2.4e-3, 3.1e-3], 2.5e-4)).toBe('.2e');
    expect(tickFormat([-2.6, -0.4], 0.25)).toBe('.2f');
    expect(tickFormat([0, 200], 25)).toBe('.0f');
  });

  it("puts the 'best' legend in a corner without data", () => {
    const corner = (pts: number[][]): unknown => {
      const spec = ot.plot.figure().scatter(pts, { label: 'a' }).scatter([[0, 0]], { label: 'b' }).toSpec();
      const layers = spec['layer'] as { encoding: { stroke?: { legend: { orient: string } } } }[];
      return layers[0]!.encoding.stroke!.legend.orient;
    };
    const grid = (x0: number, y0: number): number[][] =>
      Array.from({ length: 25 }, (_, k) => [x0 + (k % 5) * 0.05, y0 + Math.floor(k / 5) * 0.05]);
    // data everywhere except in the lower-left corner
    expect(corner([...grid(0.8, 0.8), ...grid(0, 0.8), ...grid(0.8, 0), [1, 1]])).toBe('bottom-left');
    expect(corner([[0, 0], [1, 0], [0.5, 1]])).toBe('top-right');
    expect(corner([[0, 0], [1, 0], [1, 1]])).toBe('top-left');
  });

  it('hides the legend on request and renders an empty figure', async () => {
    const svg = await ot.plot.figure({ legend: false }).scatter([[0, 1]], { label: 'hidden' }).toSVG();
    expect(svg).not.toContain('role-legend');
    expect(await ot.plot.figure({ title: 'empty' }).toSVG()).toContain('empty');
  });
});

describe('plot: PNG and files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ot-plot-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders a PNG of the figure size, not blank, with its text drawn', async () => {
    const make = (title?: string): ot.plot.Figure =>
      ot.plot.figure(title === undefined ? {} : { title }).scatter(cloud(50, 3, 0), { label: 'samples' });
    const png = await make('A title').toPNG();
    expect(pngSize(png)).toEqual({ width: 640, height: 480 });
    expect(pngSize(await make().toPNG({ scale: 2 }))).toEqual({ width: 1280, height: 960 });
    const svg = await make('A title').toSVG();
    const drawn = await rasterize(svg, 1);
    expect(darkPixels(drawn, 0, 0, 640, 480)).toBeGreaterThan(500);
    // the title band holds glyph pixels, which resvg only draws with a font loaded
    expect(darkPixels(drawn, 200, 0, 440, 25)).toBeGreaterThan(40);
    const fontless = new Resvg(svg, { font: { loadSystemFonts: false }, background: 'white' }).render();
    expect(darkPixels({ width: fontless.width, pixels: fontless.pixels }, 200, 0, 440, 25)).toBe(0);
  });

  it('writes SVG and PNG files', async () => {
    const fig = ot.plot.figure().line([1, 3, 2]);
    await fig.saveSVG(join(dir, 'f.svg'));
    await fig.savePNG(join(dir, 'f.png'), { scale: 1.5 });
    expect(readFileSync(join(dir, 'f.svg'), 'utf8')).toMatch(/^<svg/);
    expect(pngSize(readFileSync(join(dir, 'f.png')))).toEqual({ width: 960, height: 720 });
  });

  it('measures text with the font resvg draws', () => {
    const { measure, files } = fontSetup();
    expect(measure('MMMM', 10, false)).toBeGreaterThan(measure('iiii', 10, false));
    expect(measure('abc', 20, false)).toBeCloseTo(2 * measure('abc', 10, false), 9);
    if (files.length > 0) expect(measure('Bold', 10, true)).toBeGreaterThan(measure('Bold', 10, false));
  });
});
