// The built package (dist/) for tests that run node on it as users do; rebuilt first when lib/ or the
// build scripts are newer than it, so a stale dist/ never passes or fails in the source's place.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const esmEntry = join(root, 'dist', 'index.js');
export const cjsEntry = join(root, 'dist', 'index.cjs');
const outputs = [esmEntry, join(root, 'dist', 'index.d.ts'), cjsEntry, join(root, 'dist', 'index.d.cts')];

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -Infinity;
  }
}

function newestUnder(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newestUnder(join(dir, e.name)) : mtime(join(dir, e.name)))),
  );
}

/** Runs the package's build (tsc, then the CommonJS entry) unless dist/ is newer than every input. */
export function ensureBuilt(): void {
  const inputs = Math.max(newestUnder(join(root, 'lib')), ...['tsconfig.json', 'scripts/build-cjs.mjs'].map((f) => mtime(join(root, f))));
  if (Math.min(...outputs.map(mtime)) >= inputs) return;
  const run = (args: string[]): void => void execFileSync(process.execPath, args, { cwd: root, stdio: 'pipe', timeout: 120_000 });
  run([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  run([join(root, 'scripts', 'build-cjs.mjs')]);
}
