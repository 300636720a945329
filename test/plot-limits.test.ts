// Figures fail as OTErrors, never by ending the process: sizes and scales past the documented PNG limit
// (16384 px a side, 2^26 pixels), empty images, unknown colour names that are Object.prototype keys,
// bad format strings, and files that cannot be written (the file-system error kept as `cause`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { runChild } from './helpers/child.js';

const dir = mkdtempSync(join(tmpdir(), 'ot-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const arg = expect.objectContaining({ code: 'ERR_OT_ARG' });
const pts = [[0, 0], [1, 1]];

describe('figure size and PNG scale', () => {
  it('a huge width is refused up front (the renderer used to abort the process)', () => {
    const r = runChild(`
try { await ot.plot.figure({ width: 1e9 }).scatter(${JSON.stringify(pts)}).toPNG(); console.log('drawn'); }
catch (e) { console.log(e.code); }`, { timeoutMs: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.stdout.trim().split('\n').pop()).toBe('ERR_OT_ARG');
  });

  it('width/height above 16384 px are ERR_OT_ARG; 16384 is accepted', () => {
    expect(() => ot.plot.figure({ width: 16385 })).toThrow(arg);
    expect(() => ot.plot.figure({ height: 1e5 })).toThrow(arg);
    expect(() => ot.plot.figure({ width: 16384, height: 10 })).not.toThrow();
  });

  it('a scale past the pixel limit rejects before drawing', async () => {
    const fig = ot.plot.figure().scatter(pts);
    await expect(fig.toPNG({ scale: 1000 })).rejects.toMatchObject({ code: 'ERR_OT_ARG', message: expect.stringContaining('limit') as unknown });
    await expect(fig.toPNG({ scale: 1e-6 })).rejects.toMatchObject({ code: 'ERR_OT_ARG', message: expect.stringContaining('at least 1×1') as unknown });
    await expect(fig.toPNG({ scale: 1e-3 })).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
    const png = await ot.plot.figure({ width: 64, height: 48 }).scatter(pts).toPNG({ scale: 2 });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('bad options and failures are OTErrors', () => {
  it("'constructor' and other Object.prototype names are not colours (ERR_OT_ARG, not a TypeError)", () => {
    for (const color of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(() => ot.plot.figure().scatter(pts, { color })).toThrow(arg);
      expect(() => ot.plot.figure().line([0, 1], { color })).toThrow(arg);
    }
    expect(() => ot.plot.figure().scatter(pts, { color: 'tab:orange' }).scatter(pts, { color: '#123456' })).not.toThrow();
  });

  it('a bad xformat rejects instead of printing an error and drawing without labels', async () => {
    const fig = ot.plot.figure({ xformat: '%%%bad' }).scatter(pts);
    await expect(fig.toSVG()).rejects.toMatchObject({ code: 'ERR_OT_ARG' });
  });

  it('save errors keep the file-system error as cause', async () => {
    const fig = ot.plot.figure({ width: 32, height: 24 }).scatter(pts);
    const isDir = await fig.saveSVG(dir).catch((e: unknown) => e);
    expect(isDir).toBeInstanceOf(ot.OTError);
    expect(isDir).toMatchObject({ code: 'ERR_OT_ARG', cause: { code: 'EISDIR' } });
    const missing = await fig.savePNG(join(dir, 'no', 'such', 'dir', 'x.png')).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'ERR_OT_ARG', cause: { code: 'ENOENT' } });
  });
});
