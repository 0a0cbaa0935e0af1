#!/usr/bin/env bash
# Evacuation benchmark: a host of N small VMs (default 50 x 32MiB) evacuated to 3 other hosts on
# 127.0.0.1. Reports the wall time against the bound 'bytes moved / aggregate bandwidth' and the
# orchestration overhead per migration. Numbers go in docs/benchmarks.md.
#
#   deploy/local/bench-evacuate.sh [VMS] [SIZE]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VMS="${1:-50}"
SIZE="${2:-32MiB}"
DIR="$(mktemp -d)"
BASE_PORT="${BASE_PORT:-24500}"
API="http://127.0.0.1:${API_BASE_PORT:-28500}"
BIN="${ORCHESTRATOR_BIN:-$ROOT/src/Orchestrator/bin/Release/net10.0/orchestrator.dll}"

trap 'bash "$ROOT/deploy/local/cluster.sh" stop --dir "$DIR" >/dev/null 2>&1 || true' EXIT
bash "$ROOT/deploy/local/cluster.sh" start 4 --dir "$DIR" --base-port "$BASE_PORT" --api-base-port "${API_BASE_PORT:-28500}" >/dev/null
orch() { dotnet "$BIN" "$@" --api "$API"; }

echo "creating $VMS VMs of $SIZE on host1"
for i in $(seq 1 "$VMS"); do
    orch vm create "b$i" --host host1 --ram "$SIZE" --vfio 0 --vgpu 0 --dirty-rate 1MiB/s >/dev/null
done

start=$(date +%s.%N)
orch evacuate host1 --wait --json >"$DIR/evacuation.json"
end=$(date +%s.%N)
orch migrations --json >"$DIR/migrations.json"
# Each migration's own query-migrate (total-time, setup-time): the time spent inside migrations.
for i in $(seq 1 "$VMS"); do
    curl -s "$API/vms/b$i/migration"; echo
done >"$DIR/queries.jsonl"

python3 - "$DIR/evacuation.json" "$DIR/migrations.json" "$start" "$end" "$DIR/queries.jsonl" <<'PY'
import json, sys
evac = json.load(open(sys.argv[1]))
queries = [json.loads(l) for l in open(sys.argv[5]) if l.strip()]
migrations = [m for m in json.load(open(sys.argv[2])) if m["kind"] == "evacuation" and m["source"] == "host1"]
wall = float(sys.argv[4]) - float(sys.argv[3])
done = [m for m in migrations if m["status"] == "completed"]
moved = sum(m["transferred"] for m in done)
aggregate = 2 * 134217728  # 2 outbound permits on host1, each at max-bandwidth 128 MiB/s
bound = moved / aggregate
print(f"migrations: {len(done)} completed of {len(evac['moves'])} planned, {len(evac['unplaceable'])} unplaceable")
print(f"bytes moved: {moved / 2**20:.1f} MiB; wall time {wall:.1f} s")
print(f"bound (bytes / {aggregate // 2**20} MiB/s aggregate): {bound:.1f} s; wall / bound = {wall / bound:.2f}")
print(f"overhead per migration against the bound: {(wall - bound) / max(1, len(done)) * 1000:.0f} ms")
# The fleet's own share: wall time not covered by migrations running on the 2 permits (admission, grants,
# learning that one ended), apart from how long each migration itself took (setup, precopy, stop-copy).
inside = sum(q.get("total-time") or 0 for q in queries if q.get("status") == "completed") / 1000
print(f"time inside migrations: {inside:.1f} s over 2 permits = {inside / 2:.1f} s; "
      f"mean migration {inside / max(1, len(done)) * 1000:.0f} ms (setup {sum(q.get('setup-time') or 0 for q in queries) / max(1, len(queries)):.0f} ms)")
print(f"orchestration overhead per migration (wall - inside / 2) / migrations: {(wall - inside / 2) / max(1, len(done)) * 1000:.0f} ms")
PY
