// Builds the CommonJS entry after tsc: dist/index.cjs (lib bundled by esbuild, packages left external) and
// its declarations dist/**/*.d.cts (a copy of tsc's .d.ts tree, so `.cts` consumers never cross into ESM types).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

const result = await build({
  absWorkingDir: root,
  entryPoints: ['lib/index.ts'],
  outfile: 'dist/index.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Dependencies stay require()d / import()ed from node_modules: one copy of each per process.
  packages: 'external',
  // import('vega') must stay a real dynamic import: vega is ESM-only, and require() of ESM needs Node >= 20.19.
  supported: { 'dynamic-import': true },
  // lib/native.ts finds the package root from import.meta.url; index.cjs sits in dist/ as native.js does.
  define: { 'import.meta.url': '__otModuleUrl' },
  // 'use strict' first: a banner goes above esbuild's own directive, which would then be a plain string.
  banner: { js: "'use strict';\nconst __otModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Classes keep their names (Tensor, not _Tensor) in stack traces and console.log.
  keepNames: true,
  sourcemap: true,
  logLevel: 'warning',
});
// A warning here is a CommonJS behaviour change (e.g. another import.meta field left empty): fail the build.
if (result.warnings.length > 0) process.exit(1);

/** Every .d.ts under dir, recursively. */
function declarations(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return declarations(path);
    return e.name.endsWith('.d.ts') ? [path] : [];
  });
}

// Relative specifiers './x.js' become './x.cjs', which TypeScript resolves to the sibling x.d.cts.
const relativeJs = /(from\s+|import\s*\(\s*)(['"])(\.{1,2}\/[^'"]*?)\.js\2/g;
for (const file of declarations(dist)) {
  const text = readFileSync(file, 'utf8').replace(relativeJs, '$1$2$3.cjs$2');
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), text);
}
