#!/bin/sh
# Benchmarks the exact-OT kernels against POT + torch on the same inputs, in one run: compiles
# exact_kernels_bench.cc as the addon compiles its best variant here, writes the inputs, times POT
# (when importable: PYTHONPATH with POT master + torch, as bench/helpers/oracle.ts finds it via OT_ORACLE), prints a table.
# Usage: bench/native/run.sh [RUNS] [workload ...]   (default: 5 emd1000 emd3000 batch w1d sliced)
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-5}
[ $# -gt 0 ] && shift
WORKLOADS=${*:-emd1000 emd3000 batch w1d sliced}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ot-native-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
MARCH=x86-64
grep -q avx2 /proc/cpuinfo 2>/dev/null && MARCH=x86-64-v3
grep -q avx512bw /proc/cpuinfo 2>/dev/null && MARCH=x86-64-v4
${CXX:-g++} -O3 -fno-math-errno -march=$MARCH -mtune=generic -std=c++17 -I"$ROOT/native" \
  "$ROOT/bench/native/exact_kernels_bench.cc" "$ROOT/native/cpu/emd.cc" "$ROOT/native/cpu/wasserstein1d.cc" \
  "$ROOT/native/cpu/sliced.cc" "$ROOT/native/common/parallel.cc" -o "$TMP/bench" -pthread
echo "load before: $(uptime)"
${PYTHON:-python3} "$ROOT/bench/native/pot_exact.py" "$TMP" "$RUNS" $WORKLOADS > "$TMP/pot.json"
"$TMP/bench" "$TMP" "$RUNS" $WORKLOADS > "$TMP/ours.jsonl"
echo "load after:  $(uptime)"
${PYTHON:-python3} - "$TMP/pot.json" "$TMP/ours.jsonl" "$MARCH" <<'PY'
import json, sys
pot = json.load(open(sys.argv[1]))
ours = [json.loads(l) for l in open(sys.argv[2])]
print(f"kernels built with -march={sys.argv[3]}; POT + torch ({pot.get('torch_threads', '?')} torch threads)"
      + (f" -- {pot['error']}" if 'error' in pot else ""))
print(f"{'workload':10} {'ours cold':>10} {'ours med':>10} {'POT cold':>10} {'POT med':>10} {'ratio':>7}  values (ours / POT)")
for o in ours:
    p = pot.get(o["workload"])
    pc = f"{p['cold_ms']:10.1f} {p['median_ms']:10.1f} {p['median_ms'] / o['median_ms']:6.1f}x" if p else f"{'-':>10} {'-':>10} {'-':>7}"
    pv = f" / {p['value']:.10g}" if p else ""
    print(f"{o['workload']:10} {o['cold_ms']:10.1f} {o['median_ms']:10.1f} {pc}  {o['value']:.10g}{pv}")
PY
