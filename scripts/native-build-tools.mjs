// Shared by the install step and the prebuild script: locate the build tools through normal module
// resolution (they may be hoisted anywhere above the package), decide whether to compile CUDA, and run
// builds quietly (a short summary; the whole log only on failure or with OT_VERBOSE_BUILD=1).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const verbose = process.env.OT_VERBOSE_BUILD === '1';

const onPath = (exe) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, exe)));

/** nvcc on PATH or in CUDA's default location. */
export function hasNvcc() {
  return onPath('nvcc') || existsSync('/usr/local/cuda/bin/nvcc');
}

/** An NVIDIA driver is loaded (so CUDA kernels could run here). */
export function hasGpuDriver() {
  return existsSync('/proc/driver/nvidia/version') || onPath('nvidia-smi');
}

/**
 * CUDA kernels are compiled when nvcc is present and either OT_CUDA=1 asks for them or a GPU driver is
 * present; OT_NO_CUDA=1 always skips them. Returns [build?, why].
 */
export function cudaDecision() {
  if (process.env.OT_NO_CUDA === '1') return [false, 'OT_NO_CUDA=1'];
  if (!hasNvcc()) return [false, process.env.OT_CUDA === '1' ? 'OT_CUDA=1 but nvcc not found' : 'no nvcc'];
  if (process.env.OT_CUDA === '1') return [true, 'OT_CUDA=1'];
  if (hasGpuDriver()) return [true, 'nvcc and an NVIDIA driver found'];
  return [false, 'no NVIDIA driver (set OT_CUDA=1 to build the CUDA kernels anyway)'];
}

/** Runs a command; quiet unless OT_VERBOSE_BUILD=1, with the log's tail printed when it fails. */
export function run(label, cmd, args, env = {}) {
  const started = Date.now();
  const res = spawnSync(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: verbose ? 'inherit' : 'pipe',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ok = res.status === 0;
  if (!ok && !verbose) {
    const log = `${res.stdout ?? ''}${res.stderr ?? ''}`.trimEnd().split('\n');
    console.error(log.slice(-40).join('\n'));
    if (res.error) console.error(String(res.error));
  }
  console.log(`optimal-transport: ${label} ${ok ? 'done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return ok;
}

/** cmake-js build into `outDir` (relative to the package root). */
export function cmakeBuild(outDir, { cuda, defines = {} }) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [cmakeJs, 'compile', '--out', outDir, `--CDOT_NO_CUDA=${cuda ? 'OFF' : 'ON'}`];
  for (const [k, v] of Object.entries(defines)) args.push(`--CD${k}=${v}`);
  if (!process.env.CI) args.push('--parallel', '2');
  return run(`cmake build (${cuda ? 'CPU + CUDA' : 'CPU'} kernels)`, process.execPath, args);
}

/** node-gyp build (CPU kernels, one variant for this machine): npm's own node-gyp during installs. */
export function gypBuild() {
  let gyp = process.env.npm_config_node_gyp;
  if (!gyp) {
    try {
      gyp = require.resolve('node-gyp/bin/node-gyp.js');
    } catch {
      console.error('optimal-transport: neither cmake nor node-gyp is available to build the addon');
      return false;
    }
  }
  return run('node-gyp build (CPU kernels)', process.execPath, [gyp, 'rebuild']);
}
