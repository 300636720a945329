#!/usr/bin/env bash
# The prebuilt binary on CPUs without AVX-512 and without AVX: under qemu's user-mode emulation of a
# Haswell (AVX2) and a Nehalem (SSE4.2) CPU it must pick the avx2 / generic kernels, not crash, and
# match the host's numbers. Needs qemu-x86_64 (Debian: qemu-user); says so and exits 0 when it is absent.
set -euo pipefail
cd "$(dirname "$0")/../.."
addon=${1:-$PWD/prebuilds/linux-x64/node.napi.glibc.node}
if ! command -v qemu-x86_64 > /dev/null; then
  echo 'check-cpu-variants: SKIPPED, qemu-x86_64 not found (apt-get install qemu-user)'
  exit 0
fi
[ -f "$addon" ] || { echo "check-cpu-variants: no addon at $addon (npm run build:prebuilds)"; exit 1; }
host=$(OT_ADDON_PATH=$addon node test/install/smoke-cpu.mjs)
for spec in Haswell:avx2 Nehalem:generic; do
  cpu=${spec%%:*} want=${spec##*:}
  got=$(OT_ADDON_PATH=$addon qemu-x86_64 -cpu "$cpu" "$(command -v node)" test/install/smoke-cpu.mjs 2> /dev/null)
  node -e '
    const [host, got, want, cpu] = process.argv.slice(1); const h = JSON.parse(host), g = JSON.parse(got);
    const close = (a, b) => Math.abs(a - b) <= 1e-9 * (1 + Math.abs(b));
    if (g.isa !== want) throw new Error(`${cpu}: picked ${g.isa}, expected ${want}`);
    if (!close(g.value, h.value) || !g.grad.every((v, i) => close(v, h.grad[i]))) throw new Error(`${cpu}: results differ from the host`);
    console.log(`check-cpu-variants: emulated ${cpu} runs the ${g.isa} kernels, results match the host (${h.isa})`);
  ' "$host" "$got" "$want" "$cpu"
done
