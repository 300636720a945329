#!/usr/bin/env bash
# Resource limits: under a tight process/thread limit (ulimit -u, as an unprivileged user because the
# limit does not bind root) kernels that cannot start their threads run on fewer (the calling thread)
# or fail with ERR_OT_OOM; never SIGABRT (std::terminate) and never ERR_OT_ARG. Needs the built
# package (dist/) and addon; run as root (to switch user) or as an unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.js ] || { echo "test-limits: build the package first (npm run build)"; exit 1; }

workload='
import * as ot from "./dist/index.js";
const out = {};
const run = (name, f) => { try { out[name] = f(); } catch (e) { out[name] = e.code ?? String(e); } };
const x = ot.rand([2000, 16], { seed: 1 });
run("dist", () => ot.dist(x, x).data[12345]);
run("cityblock", () => ot.dist(x, x, { metric: "cityblock" }).data[12345]);
const y = ot.rand([400, 3], { seed: 2 }).requiresGrad_(true);
run("backward", () => { ot.dist(y, y).sum().backward(); return y.grad.data[7]; });
const M = ot.dist(ot.rand([600, 2], { seed: 3 }), ot.rand([600, 2], { seed: 4 }));
run("solve", () => { const r = ot.solve(M, ot.unif(600), ot.unif(600), { reg: 0.05 }); return r.status === "converged" ? r.value.item() : r.status; });
run("batch", () => ot.batch.solveBatch(ot.rand([16, 60, 60], { seed: 5 }), { reg: 0.1 }).value.data[3]);
console.log(JSON.stringify(out));
'

as_limited() {  # as_limited NPROC: runs the workload under ulimit -u NPROC
  local cmd="ulimit -u $1; OT_NUM_THREADS=8 node --input-type=module -e '$workload'"
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "$cmd"; else bash -c "$cmd"; fi
}

reference=$(OT_NUM_THREADS=8 node --input-type=module -e "$workload")
echo "unlimited: $reference"
fail=0
for nproc in 11 12 14 16 24; do
  set +e
  got=$(as_limited "$nproc" 2>&1)
  status=$?
  set -e
  line=$(printf '%s\n' "$got" | tail -n 1)
  echo "ulimit -u $nproc: status $status: $line"
  if [ "$status" -ne 0 ] || ! printf '%s' "$line" | grep -q '^{'; then
    # Too few processes for node itself to start is not ours to judge; anything else is a failure.
    if printf '%s' "$got" | grep -qiE 'terminate|abort|core dumped|ERR_OT_ARG'; then fail=1; fi
    continue
  fi
  # Each result is the unlimited one (fewer threads give the same numbers) or ERR_OT_OOM.
  node -e '
    const ref = JSON.parse(process.argv[1]), got = JSON.parse(process.argv[2]);
    let ok = true;
    for (const k of Object.keys(ref)) {
      const g = got[k], r = ref[k];
      const same = typeof g === "number" && typeof r === "number" ? Math.abs(g - r) <= 1e-9 * Math.max(1, Math.abs(r)) : g === r;
      if (!same && g !== "ERR_OT_OOM") { console.log("  " + k + ": got " + g + ", expected " + r + " or ERR_OT_OOM"); ok = false; }
    }
    process.exit(ok ? 0 : 1);' "$reference" "$line" || fail=1
done
[ "$fail" = 0 ] && echo "test-limits: ok" || { echo "test-limits: FAILED"; exit 1; }
