#!/usr/bin/env bash
# Heartbeats under a saturated data plane: false unreachable events with Akka's stock
# acceptable-heartbeat-pause (3 s) against ours (8 s), measured side by side in one run. For each
# pause a fresh 3-host netns cluster (deploy/netns/cluster.sh) gets a slow link host1 <-> host2,
# VMS parallel migrations host1 -> host2 at full speed (max-bandwidth unlimited, fleet limits
# raised to VMS on that pair), and host3 as a bystander. Counts the "Marking node(s) as
# UNREACHABLE" lines in all node logs (each is one observer's failure verdict; every member is
# alive, so each is false), downings, how the migrations ended, and the latency of a control message
# across the full link (host1's API asking host2 for its VM list, every 0.5 s). --queue-delays runs
# every pause once per stream queueing-delay target (Migration:QueueDelayTarget; 0 = the whole window
# from the first chunk, as before SendWindow), so "0 0.25" compares them side by side. Numbers go in
# docs/benchmarks.md. Needs root.
#
#   deploy/netns/bench-heartbeat.sh [--rate 10mbit] [--vms 4] [--size 16MiB] [--vfio 8MiB] [--pauses "3 8"] [--queue-delays "0.25"]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RATE=10mbit
VMS=4
SIZE=16MiB
VFIO=8MiB
PAUSES="3 8"
QUEUE_DELAYS="0.25"
while (($#)); do
    case "$1" in
        --rate) RATE="$2" ;;
        --vms) VMS="$2" ;;
        --size) SIZE="$2" ;;
        --vfio) VFIO="$2" ;;
        --pauses) PAUSES="$2" ;;
        --queue-delays) QUEUE_DELAYS="$2" ;;
        -h | --help) sed -n '14s/^#   //p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "bench-heartbeat.sh: unknown argument '$1'" >&2; sed -n '14s/^#   //p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
    esac
    shift 2 || { echo "bench-heartbeat.sh: $1 needs a value" >&2; exit 2; }
done
((EUID == 0)) || { echo "bench-heartbeat.sh: needs root (network namespaces)" >&2; exit 1; }
CLUSTER="$ROOT/deploy/netns/cluster.sh"
BIN="${ORCHESTRATOR_BIN:-$ROOT/src/Orchestrator/bin/Release/net10.0/orchestrator.dll}"
if [[ -z "${ORCHESTRATOR_BIN:-}" ]]; then
    dotnet build "$ROOT/src/Orchestrator" -c Release >/dev/null
fi
export ORCHESTRATOR_BIN="$BIN"
WORK="$(mktemp -d)"
CURRENT=""
trap '[[ -z "$CURRENT" ]] || bash "$CLUSTER" stop --dir "$CURRENT" >/dev/null 2>&1 || true' EXIT

echo "link host1 <-> host2 at $RATE; $VMS parallel migrations of RAM $SIZE + VFIO $VFIO host1 -> host2; results in $WORK"
printf '%-6s %-6s %-12s %-16s %-7s %-24s %-6s %-14s %s\n' queue pause unreachable reachable-again downed migrations wall "max Send-Q" "control latency median / max"
for queue in $QUEUE_DELAYS; do
for pause in $PAUSES; do
    dir="$WORK/queue-$queue-pause-$pause"
    CURRENT="$dir"
    ORCHESTRATOR__MIGRATION__QUEUEDELAYTARGET="$queue" ORCHESTRATOR__CLUSTER__HEARTBEATPAUSE="$pause" ORCHESTRATOR__FLEET__OUTBOUNDPERHOST="$VMS" ORCHESTRATOR__FLEET__INBOUNDPERHOST="$VMS" \
        ORCHESTRATOR__FLEET__PERCLUSTER="$((VMS > 5 ? VMS : 5))" CAPACITY=4GiB \
        bash "$CLUSTER" start 3 --dir "$dir" >"$dir.start.log" 2>&1 || { cat "$dir.start.log" >&2; exit 1; }
    api="$(sed -n 's/^ORCHESTRATOR_API=//p' "$dir/cluster.env")"
    orch() { dotnet "$BIN" "$@" --api "$api"; }
    bash "$CLUSTER" slow-link 1 2 --rate "$RATE" --dir "$dir" >/dev/null 2>&1
    for i in $(seq 1 "$VMS"); do
        orch vm create "hb$i" --host host1 --ram "$SIZE" --vfio "$VFIO" --vgpu 0 --vfio-alloc 300 --dirty-rate 256KiB/s >/dev/null
    done
    # What queues ahead of a heartbeat in host1's kernel: the Send-Q of its connections to host2:4053.
    prefix="$(sed -n 's/^NETNS_PREFIX=//p' "$dir/cluster.env")"
    host2="$(sed -n 's/^ORCHESTRATOR_API=http:\/\/\(.*\)\.1:.*/\1.2/p' "$dir/cluster.env")"
    ( while :; do ip netns exec "$prefix-host1" ss -tnH state established dst "$host2" 2>/dev/null | awk '{s += $2} END {print s + 0}'; sleep 0.5; done ) >"$dir/sendq.txt" &
    sampler=$!
    # A control message across the full link: host1's API asks host2's node for its VM list over the
    # host1 -> host2 association the chunks fill; the answer's latency is what admission waits for.
    ( while :; do curl -s -o /dev/null -m 30 -w '%{time_total}\n' "$api/hosts/host2/vms" || echo 30; sleep 0.5; done ) >"$dir/control.txt" &
    control=$!
    start=$SECONDS
    # A migrate can be refused when host2 does not answer the admission in time (its link is full):
    # only the migrations that started are waited for and reported.
    migrates=()
    for i in $(seq 1 "$VMS"); do
        # downtime-limit 2 s: on a link this slow the default 300 ms would never be met, and this bench is about heartbeats.
        orch migrate "hb$i" --to host2 --max-bandwidth 0 --downtime-limit 2000 >/dev/null &
        migrates+=($!)
    done
    wait "${migrates[@]}" || true # not the sampler, which runs until killed
    # Until every migration has ended (or 10 minutes).
    while ((SECONDS - start < 600)); do
        orch migrations --json >"$dir/migrations.json" 2>/dev/null || true
        python3 - "$dir/migrations.json" "$VMS" <<'PY' && break
import json, sys
try:
    ms = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
ended = [m for m in ms if m["status"] in ("completed", "failed", "cancelled")]
sys.exit(0 if ms and len(ended) == len(ms) else 1)
PY
        sleep 2
    done
    wall=$((SECONDS - start))
    kill "$sampler" "$control" 2>/dev/null || true
    latency=$(sort -n "$dir/control.txt" | awk '{v[NR] = $1} END {if (NR) printf "%.2f s / %.2f s", v[int((NR + 1) / 2)], v[NR]; else print "none"}')
    sendq=$(sort -n "$dir/sendq.txt" | tail -n 1)
    unreachable=$(cat "$dir"/host*.log | grep -c "Marking node(s) as UNREACHABLE" || true)
    reachable=$(cat "$dir"/host*.log | grep -c "Marking node(s) as REACHABLE" || true)
    downed=$(cat "$dir"/host*.log | grep -ciE "SBR took decision|Leader is (auto-)?downing|downing \[" || true)
    outcome=$(python3 -c '
import json, sys, collections
ms = json.load(open(sys.argv[1]))
c = collections.Counter(m["status"] for m in ms)
print(" ".join(f"{k}={v}" for k, v in sorted(c.items())))' "$dir/migrations.json" 2>/dev/null || echo "unknown")
    printf '%-6s %-6s %-12s %-16s %-7s %-24s %-6s %-14s %s\n' "${queue}s" "${pause}s" "$unreachable" "$reachable" "$downed" "$outcome" "${wall}s" "$((sendq / 1024)) KiB" "$latency"
    bash "$CLUSTER" stop --dir "$dir" >/dev/null 2>&1
    CURRENT=""
done
done
