// Figure.image (imshow) and ot.plot.plot1DMat (POT's plot1D_mat): what they draw, and bad input.
import { describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';

const a = ot.datasets.make1DGauss(12, 4, 2);
const b = ot.datasets.make1DGauss(9, 5, 2);
const M = ot.dist(ot.tensor(Array.from({ length: 12 }, (_, i) => [i])), ot.tensor(Array.from({ length: 9 }, (_, j) => [j])));

describe('Figure.image', () => {
  it('draws one cell per entry, row 0 at the top, min white and max black (gray_r)', () => {
    const spec = ot.plot.figure().image([[0, 1], [2, 4]]).toSpec();
    const layer = (spec['layer'] as { data: { values: { x: number; y: number; c: string }[] } }[])[0]!;
    const cells = layer.data.values;
    expect(cells).toHaveLength(4);
    expect(cells.find((c) => c.x === -0.5 && c.y === -0.5)!.c).toBe('#ffffff');
    expect(cells.find((c) => c.x === 0.5 && c.y === 0.5)!.c).toBe('#000000');
    expect(((spec['encoding'] as { y: { scale: { reverse: boolean; domain: number[] } } }).y.scale)).toMatchObject({ reverse: true, domain: [-0.5, 1.5] });
  });

  it('rejects bad input', () => {
    expect(() => ot.plot.figure().image([[1, 2], [3]])).toThrow(expect.objectContaining({ code: 'ERR_OT_SHAPE' }));
    expect(() => ot.plot.figure().image([[1, NaN]])).toThrow(expect.objectContaining({ code: 'ERR_OT_VALUE' }));
    expect(() => ot.plot.figure().image([[1]], { cmap: 'jet' as never })).toThrow(expect.objectContaining({ code: 'ERR_OT_ARG', message: expect.stringMatching(/cmap/) }));
  });
});

describe('plot1DMat', () => {
  it('composes the two histograms and the matrix, and renders to SVG and PNG', async () => {
    const fig = ot.plot.plot1DMat(ot.plot.figure({ width: 400, height: 400 }), a, b, M, { title: 'Cost matrix M' });
    const spec = fig.toSpec() as { vconcat: { hconcat: { data?: { values: unknown[] } }[] }[] };
    expect(spec.vconcat).toHaveLength(2);
    expect(spec.vconcat[1]!.hconcat[1]!.data!.values).toHaveLength(12 * 9);
    const svg = await fig.toSVG();
    expect(svg).toContain('Cost matrix M');
    const png = await fig.toPNG();
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('rejects shapes that do not match and bad options', () => {
    const says = (f: () => unknown, code: string, re: RegExp) => expect(f).toThrow(expect.objectContaining({ code, message: expect.stringMatching(re) }));
    says(() => ot.plot.plot1DMat(ot.plot.figure(), b, a, M), 'ERR_OT_SHAPE', /M has shape \[12, 9\] but a has 9 entries and b has 12/);
    says(() => ot.plot.plot1DMat(ot.plot.figure(), a, b, M, { title: 3 as never }), 'ERR_OT_ARG', /title must be a string/);
    says(() => ot.plot.plot1DMat(ot.plot.figure(), a, b, M, { style: 'xy' } as never), 'ERR_OT_ARG', /style/);
  });
});
