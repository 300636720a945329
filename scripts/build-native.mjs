// Install step: use a prebuilt binary when one matches, else build with cmake-js (CUDA when nvcc is
// present), else fall back to node-gyp (CPU only). Exits non-zero only when every route fails.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit', env: process.env });

const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
if (!process.env.OT_FORCE_BUILD && existsSync(prebuildDir) && readdirSync(prebuildDir).some((f) => f.endsWith('.node'))) {
  console.log(`optimal-transport: using prebuilt binary in ${prebuildDir}`);
  process.exit(0);
}
const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
try {
  run(`node "${cmakeJs}" compile --out build${process.env.CI ? '' : ' --parallel 2'}`);
} catch (err) {
  console.warn('optimal-transport: cmake-js build failed, trying node-gyp (CPU only)');
  run('npx --no-install node-gyp rebuild');
}
// A build asked for over an existing prebuild (e.g. to get the CUDA kernels) is the one to load.
if (process.env.OT_FORCE_BUILD) writeFileSync(join(root, 'build', 'Release', '.preferred'), 'local build preferred over prebuilds\n');
