#!/usr/bin/env bash
# The GPU machine's whole check in one command: the carried Node binary, the CUDA build made on the CPU
# machine (build/Release, dist, node_modules/node-gyp-build carried), `npm run test:gpu` (every kernel and the
# public API on cuda tensors vs float64 CPU runs, then the benchmarks), peak device memory sampled by
# nvidia-smi, and the same workloads through torch on the GPU for context. Results land in $OUT.
# Usage (on the device machine): bash scripts/gpu-check.sh [--no-bench] [--small-bench]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
if [ ! -x .devnode/node ]; then xz -dkf .devnode/node.xz && chmod +x .devnode/node; fi
export PATH=$PWD/.devnode:$PATH
export OT_ADDON_PATH=$PWD/build/Release/optimal_transport.node
{
  echo "date: $(date -u +%FT%TZ)"; node --version; nproc
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv
} 2>&1 | tee "$OUT/machine.txt"

# Device memory in use, sampled every 100 ms while the checks and benchmarks run.
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$OUT/memory-used.txt" 2>/dev/null &
sampler=$!
node test/gpu/run-gpu-checks.mjs "$@" 2>&1 | tee "$OUT/gpu-check.log"
status=${PIPESTATUS[0]}
kill $sampler 2>/dev/null
echo "peak device memory used (MiB): $(sort -n "$OUT/memory-used.txt" | tail -1)" | tee -a "$OUT/gpu-check.log"
rm -f "$OUT/memory-used.txt"  # only 8 files come back from the device machine

# Peak device memory of single workloads, each alone in a process: the sampled peak minus the memory in use
# before it started (other processes' and the driver's).
case " $* " in *" --no-bench "*) ;; *)
  for w in solve_autodiff lazy_40000; do
    base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 50 > "$OUT/mem-$w.txt" 2>/dev/null &
    s2=$!
    OUT= node test/gpu/run-gpu-checks.mjs --bench-only=$w "$@" > /tmp/bench-$w.log 2>&1
    kill $s2 2>/dev/null
    peak=$(sort -n "$OUT/mem-$w.txt" | tail -1)
    rm -f "$OUT/mem-$w.txt"
    echo "$w: peak device memory $((peak - base)) MiB above the $base MiB in use before it" | tee -a "$OUT/gpu-check.log"
    grep -A3 '^benchmarks' /tmp/bench-$w.log | tail -n +2 | tee -a "$OUT/gpu-check.log"
  done ;;
esac

# torch on the same GPU, same workloads (context only; it does not decide the exit status).
case " $* ${GPU_CHECK_NO_TORCH:+--no-bench} " in *" --no-bench "*) ;; *)
  small=; case " $* " in *" --small-bench "*) small=--small ;; esac
  timeout 240 python3 bench/oracle/gpu_torch.py $small > "$OUT/torch-gpu.json" 2> "$OUT/torch-gpu.err"
  [ -s "$OUT/torch-gpu.err" ] || rm -f "$OUT/torch-gpu.err"
  cat "$OUT/torch-gpu.json" ;;
esac
exit "$status"
