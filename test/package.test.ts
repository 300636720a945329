// The built package as users load it: import and require() give the same results, a plain import loads no
// plotting engine, both builds in one process share OTError, and `.cts` consumers type-check.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ot from '../lib/index.js';
import { cjsEntry, ensureBuilt, esmEntry, root } from './helpers/built-package.js';

const dir = mkdtempSync(join(tmpdir(), 'ot-package-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureBuilt(), 180_000);

const hooks = pathToFileURL(join(root, 'test', 'helpers', 'log-resolves.mjs')).href;
const withResolveLog = `--import=data:text/javascript,import{register}from'node:module';register(${JSON.stringify(hooks)})`;

/** Runs `code` in a fresh node (CommonJS unless esm), returning its stdout. */
function node(code: string, { esm = false, args = [] as string[], env = {} } = {}): string {
  const flags = [...args, ...(esm ? ['--input-type=module'] : []), '-e', code];
  return execFileSync(process.execPath, flags, { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

const tiny = `
  const res = ot.solve(ot.tensor([[0, 1, 4], [1, 0, 1]]), ot.tensor([0.5, 0.5]), ot.tensor([0.25, 0.25, 0.5]), { reg: 0.5 });
  console.log(JSON.stringify({ value: res.value.item(), plan: res.plan.toArray(), status: res.status }));`;

describe('package: import and require()', () => {
  it('require() of the CommonJS entry solves a tiny problem exactly as import does', () => {
    const viaRequire = node(`const ot = require(${JSON.stringify(cjsEntry)});${tiny}`);
    const viaImport = node(`const ot = await import(${JSON.stringify(pathToFileURL(esmEntry).href)});${tiny}`, { esm: true });
    expect(viaRequire).toBe(viaImport);
    const { value, status } = JSON.parse(viaRequire) as { value: number; status: string };
    const here = ot.solve(ot.tensor([[0, 1, 4], [1, 0, 1]]), ot.tensor([0.5, 0.5]), ot.tensor([0.25, 0.25, 0.5]), { reg: 0.5 });
    expect(status).toBe('converged');
    expect(value).toBeCloseTo(here.value.item(), 12);
  });

  it('resolves require("optimal-transport") and import through the exports map', () => {
    const project = join(dir, 'consumer');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(root, join(project, 'node_modules', 'optimal-transport'), 'dir');
    const viaName = (code: string, esm: boolean): string =>
      execFileSync(process.execPath, [...(esm ? ['--input-type=module'] : []), '-e', code], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    expect(viaName(`console.log(require.resolve('optimal-transport'))`, false).trim()).toBe(cjsEntry);
    expect(viaName(`console.log(import.meta.resolve('optimal-transport'))`, true).trim()).toBe(pathToFileURL(esmEntry).href);
  });
});

describe('package: a plain import loads no plotting engine', () => {
  // vega and its d3 parts, resvg, and the command line's own packages: loaded only when used.
  const heavy = /\/node_modules\/(vega[^/]*|d3-[^/]*|@resvg|cli-progress|commander)\//;
  const marker = '--- figure';
  const cases = [
    { name: 'import', esm: true, load: `const ot = await import(${JSON.stringify(pathToFileURL(esmEntry).href)});` },
    { name: 'require()', esm: false, load: `const ot = require(${JSON.stringify(cjsEntry)});` },
  ];
  for (const c of cases) {
    it(`${c.name}: nothing heavy until the first render, then vega`, () => {
      const log = join(dir, `resolves-${c.esm ? 'esm' : 'cjs'}.log`);
      const code = `${c.load}
        const fs = require('node:fs');
        const cached = typeof require.cache === 'object' ? Object.keys(require.cache) : [];
        fs.appendFileSync(process.env.OT_RESOLVE_LOG, cached.join('\\n') + '\\n${marker}\\n');
        ot.plot.figure().line([1, 2, 3]).toSVG().then((svg) => console.log(svg.length));`;
      const program = c.esm ? `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);${code}` : code;
      const out = node(program, { esm: c.esm, args: [withResolveLog], env: { OT_RESOLVE_LOG: log } });
      expect(Number(out)).toBeGreaterThan(1000);
      const [atImport, atRender] = readFileSync(log, 'utf8').split(marker) as [string, string];
      expect(atImport).toContain('optimal_transport.node'); // the CommonJS cache was read
      expect(atImport.split('\n').filter((u) => heavy.test(u))).toEqual([]);
      // the hook sees dynamic imports: without this the check above would pass vacuously
      expect(atRender).toMatch(/\/node_modules\/vega\//);
    });
  }
});

describe('package: import and require() in one process', () => {
  it('share the addon and OTError, whichever build made the error', () => {
    const out = node(
      `import { createRequire } from 'node:module';
      const esm = await import(${JSON.stringify(pathToFileURL(esmEntry).href)});
      const { addon } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'native.js')).href)});
      const cjs = createRequire(import.meta.url)(${JSON.stringify(cjsEntry)});
      const caught = (f) => { try { f(); } catch (e) { return e; } };
      const fromNative = caught(() => addon.distBatch({}));
      const fromEsm = caught(() => esm.solve(esm.tensor([[0, 1]]), esm.tensor([0.5, 0.5])));
      const fromCjs = caught(() => cjs.solve(cjs.tensor([[0, 1]]), cjs.tensor([0.5, 0.5])));
      const checks = [fromNative, fromEsm, fromCjs].flatMap((e) => [e instanceof esm.OTError, e instanceof cjs.OTError, e.code]);
      console.log(JSON.stringify({ checks, same: esm.backend().native === cjs.backend().native, notError: new Error('x') instanceof cjs.OTError }));`,
      { esm: true },
    );
    expect(JSON.parse(out)).toEqual({
      checks: [true, true, 'ERR_OT_ARG', true, true, 'ERR_OT_SHAPE', true, true, 'ERR_OT_SHAPE'],
      same: true,
      notError: false,
    });
  });
});

describe('package: TypeScript consumers', () => {
  it('type-check from .cts (import = require) and .mts under NodeNext and Node16, lib checks on', () => {
    const project = join(dir, 'typed');
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(root, join(project, 'node_modules', 'optimal-transport'), 'dir');
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
    symlinkSync(join(root, 'node_modules', 'undici-types'), join(project, 'node_modules', 'undici-types'), 'dir');
    writeFileSync(join(project, 'package.json'), '{ "private": true }\n');
    const use = `
      const res = ot.solve(ot.tensor([[0, 1], [1, 0]]), undefined, undefined, { reg: 0.1 });
      const value: number = res.value.item();
      const fig: ot.plot.Figure = ot.plot.figure().line([value]);
      export function code(e: unknown): ot.OTErrorCode | null { return e instanceof ot.OTError ? e.code : null; }
      export const done: Promise<string> = fig.toSVG();`;
    writeFileSync(join(project, 'req.cts'), `import ot = require('optimal-transport');${use}`);
    writeFileSync(join(project, 'esm.mts'), `import * as ot from 'optimal-transport';${use}`);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const mod of ['NodeNext', 'Node16']) {
      const args = [tsc, '--noEmit', '--strict', '--skipLibCheck', 'false', '--module', mod, '--moduleResolution', mod, '--target', 'ES2022', '--types', 'node', 'req.cts', 'esm.mts', '--listFiles'];
      const files = execFileSync(process.execPath, args, { cwd: project, encoding: 'utf8', timeout: 120_000 });
      // each file resolved its own declarations: .d.cts for require, .d.ts for import
      expect(files, mod).toContain(join(root, 'dist', 'index.d.cts'));
      expect(files, mod).toContain(join(root, 'dist', 'index.d.ts'));
    }
  }, 120_000);
});
