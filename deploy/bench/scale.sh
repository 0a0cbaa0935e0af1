#!/usr/bin/env bash
# How our cost grows: two node processes of deploy/local/cluster.sh on 127.0.0.1 that stay up, then
#   1. one VM each of several sizes (default 256MiB, 1GiB, 4GiB of RAM, half of it zero pages)
#      migrated host1 -> host2: total-time, setup-time, downtime, throughput, the time per GiB
#      moved, and the destination node's resident memory (VmRSS) before and after against the
#      VM's non-zero state plus the stream windows (a fresh pair of nodes for each, after one
#      small warm-up migration, so no earlier VM's freed memory hides or inflates the growth);
#   2. 1, 2 and 4 VMs of 256MiB migrated at once: each one's times and the aggregate rate.
# Both with the Akka.Remote path and with multifd, in the same run. Numbers go in
# docs/benchmarks.md.
#
#   deploy/bench/scale.sh [--sizes LIST] [--concurrent LIST] [--multifd N] [--no-build]
#
#   --sizes LIST       VM RAM sizes, MiB or with MiB/GiB (default 256MiB,1GiB,4GiB)
#   --concurrent LIST  how many 256MiB VMs migrate at once (default 1,2,4)
#   --multifd N        multifd-channels for the multifd rows (default 2)
#   --no-build         skip `dotnet build -c Release` (use an existing build)
#   ORCHESTRATOR_BIN   another build's orchestrator.dll (implies --no-build)
#   BASE_PORT, API_BASE_PORT  the nodes' remoting and API ports (25800, 29800; two each)
#
# Exit codes: 0 every migration completed, 1 one failed (its error on stderr), 2 bad arguments.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIZES=256MiB,1GiB,4GiB
CONCURRENT=1,2,4
CHANNELS=2
BASE_PORT="${BASE_PORT:-25800}"
API_BASE_PORT="${API_BASE_PORT:-29800}"
BUILD=1
BIN="${ORCHESTRATOR_BIN:-}"
[[ -n "$BIN" ]] && BUILD=0
BIN="${BIN:-$ROOT/src/Orchestrator/bin/Release/net10.0/orchestrator.dll}"

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) SIZES="${2:-}"; shift 2 ;;
        --concurrent) CONCURRENT="${2:-}"; shift 2 ;;
        --multifd) CHANNELS="${2:-}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
done
mib() {  # a size as MiB, or nothing
    case "$1" in
        *GiB) [[ "${1%GiB}" =~ ^[1-9][0-9]*$ ]] && echo $(( ${1%GiB} * 1024 )) ;;
        *MiB) [[ "${1%MiB}" =~ ^[1-9][0-9]*$ ]] && echo "${1%MiB}" ;;
        *) [[ "$1" =~ ^[1-9][0-9]*$ ]] && echo "$1" ;;
    esac
}
SIZES_MIB=()
for s in ${SIZES//,/ }; do
    m="$(mib "$s")" || true
    [[ -n "$m" ]] || { echo "--sizes: sizes such as 256MiB or 1GiB, not '$s'" >&2; exit 2; }
    SIZES_MIB+=("$m")
done
for k in ${CONCURRENT//,/ }; do
    [[ "$k" =~ ^[1-9]$ ]] || { echo "--concurrent: counts from 1 to 9, not '$k'" >&2; exit 2; }
done
[[ "$CHANNELS" =~ ^[0-9]+$ ]] && ((CHANNELS >= 1 && CHANNELS <= 255)) ||
    { echo "--multifd: a channel count from 1 to 255, not '$CHANNELS'" >&2; exit 2; }

DIR="$(mktemp -d "${TMPDIR:-/tmp}/scale.XXXXXX")"
cleanup() {
    [[ -d "$DIR/cluster" ]] && ORCHESTRATOR_BIN="$BIN" bash "$ROOT/deploy/local/cluster.sh" stop --dir "$DIR/cluster" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
fail() { echo "$1" >&2; [[ -f "${2:-}" ]] && tail -20 "$2" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/build.sh
. "$ROOT/deploy/bench/build.sh"
build_release
echo "ours: $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo '?'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Room for the largest VM and for four at once on each side.
start_cluster() {
    CAPACITY=${CAPACITY:-24GiB} ORCHESTRATOR__FLEET__OUTBOUNDPERHOST=9 ORCHESTRATOR__FLEET__INBOUNDPERHOST=9 ORCHESTRATOR__FLEET__PERCLUSTER=9 \
        ORCHESTRATOR_BIN="$BIN" bash "$ROOT/deploy/local/cluster.sh" start 2 --dir "$DIR/cluster" \
        --base-port "$BASE_PORT" --api-base-port "$API_BASE_PORT" >"$DIR/cluster.out" 2>&1 ||
        fail "the cluster did not start (BASE_PORT/API_BASE_PORT pick other ports)" "$DIR/cluster.out"
    orch migrate-set-parameters --host host2 multifd-channels="$CHANNELS" >/dev/null
}
stop_cluster() { ORCHESTRATOR_BIN="$BIN" bash "$ROOT/deploy/local/cluster.sh" stop --dir "$DIR/cluster" >/dev/null 2>&1; rm -rf "$DIR/cluster"; }
orch() { dotnet "$BIN" "$@" --api "http://127.0.0.1:$API_BASE_PORT"; }
rss() { awk '/^VmRSS:/ { printf "%d\n", $2 * 1024 }' "/proc/$(cat "$DIR/cluster/host2.pid")/status"; }

# $1 VM, $2 RAM MiB, $3 path (akka|multifd), $4 output: creates the VM on host1 and moves it to host2.
migrate() {
    local caps=return-path,switchover-ack
    orch vm create "$1" --host host1 --ram "$2MiB" --vfio 0 --vgpu 0 --dirty-rate 0 >"$4.err" 2>&1 || fail "could not create $1" "$4.err"
    if [[ $3 == multifd ]]; then
        caps=$caps,multifd
        orch migrate-set-parameters "$1" multifd-channels="$CHANNELS" >>"$4.err" 2>&1 || fail "could not set multifd-channels on $1" "$4.err"
    fi
    orch migrate "$1" --to host2 --capabilities "$caps" --max-bandwidth 0 --wait --json </dev/null >"$4" 2>>"$4.err" ||
        { cat "$4" >>"$4.err"; fail "$1: the migration did not complete" "$4.err"; }
}
# The destination's incoming side is set per path: multifd must match on both sides.
path() {
    orch migrate-set-capabilities --host host2 multifd="$([[ $1 == multifd ]] && echo on || echo off)" >/dev/null
}
delete_all() {  # every VM, so the next step starts from an empty destination
    for vm in $(orch vm list --json | python3 -c 'import json,sys; print(" ".join(v["name"] for v in json.load(sys.stdin)))'); do
        orch vm delete "$vm" >/dev/null
    done
    sleep 2 # the freed guest memory is returned by the next collections
}

: >"$DIR/sizes.tsv"
for m in "${SIZES_MIB[@]}"; do
    for p in akka multifd; do
        start_cluster
        path "$p"
        migrate "warm-$p" 64 "$p" "$DIR/warm.$m.$p.json"
        delete_all
        before=$(rss)
        migrate "s$m-$p" "$m" "$p" "$DIR/size.$m.$p.json"
        after=$(rss)
        printf '%s\t%s\t%s\t%s\t%s\n' "$m" "$p" "$before" "$after" "$DIR/size.$m.$p.json" >>"$DIR/sizes.tsv"
        echo "size $m MiB, $p: done"
        stop_cluster
    done
done

start_cluster
for p in akka multifd; do
    path "$p"
    migrate "warm-$p" 256 "$p" "$DIR/warm.$p.json"
done
delete_all
echo "2 node processes up for migrations at once, warm-up migrations done"

: >"$DIR/concurrent.tsv"
for k in ${CONCURRENT//,/ }; do
    for p in akka multifd; do
        path "$p"
        start=$(date +%s%N)
        for i in $(seq 1 "$k"); do
            migrate "c$k-$i-$p" 256 "$p" "$DIR/conc.$k.$i.$p.json" &
        done
        wait
        end=$(date +%s%N)
        printf '%s\t%s\t%s\t%s\n' "$k" "$p" "$(( (end - start) / 1000000 ))" "$DIR/conc.$k.*.$p.json" >>"$DIR/concurrent.tsv"
        echo "$k at once, $p: done"
        delete_all
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$DIR" "$CHANNELS" <<'PY'
import glob, json, statistics, sys
d, channels = sys.argv[1], sys.argv[2]
label = {"akka": "Akka.Remote", "multifd": f"multifd x{channels}"}
MiB = 2**20
def q(f):
    j = json.load(open(f))
    return j, j["ram"]["transferred"]
print()
print("1. Size: one VM host1 -> host2 (half its RAM zero pages), bandwidth unlimited")
print(f"{'RAM':>7}  {'path':<12} {'total':>8} {'setup':>6} {'downtime':>8} {'moved':>9} {'Mbit/s':>7} {'ms/GiB':>7} {'dest RSS +':>10} {'non-zero':>9} {'RSS/state':>9}")
for line in open(f"{d}/sizes.tsv"):
    m, p, before, after, f = line.split("\t")
    j, moved = q(f.strip())
    # Non-zero state: the normal pages the destination holds (QEMU's ram.normal-bytes); zero pages cost it nothing.
    state = j["ram"].get("normal-bytes") or moved
    grew = int(after) - int(before)
    print(f"{m + 'M':>7}  {label[p]:<12} {j['total-time']:>6} ms {j['setup-time']:>3} ms {j['downtime']:>5} ms "
          f"{moved / MiB:>7.0f} M {moved * 8 / j['total-time'] / 1000:>7.0f} {j['total-time'] / (moved / 2**30):>7.0f} "
          f"{grew / MiB:>8.0f} M {state / MiB:>7.0f} M {grew / state:>9.2f}")
print("(ms/GiB: total-time per GiB moved, flat when the per-byte cost is; dest RSS +: the destination node's VmRSS after the"
      " migration less before it, against the VM's non-zero state)")
print()
print("2. At once: K VMs of 256MiB host1 -> host2, started together")
print(f"{'K':>2}  {'path':<12} {'total (median, max)':>20} {'setup (median)':>15} {'aggregate':>12} {'per migration':>14}")
for line in open(f"{d}/concurrent.tsv"):
    k, p, wall, pattern = line.split("\t")
    runs = [q(f) for f in sorted(glob.glob(pattern.strip()))]
    totals = [j["total-time"] for j, _ in runs]
    moved = sum(m for _, m in runs)
    agg = moved * 8 / max(totals) / 1000
    per = statistics.median(m * 8 / j["total-time"] / 1000 for j, m in runs)
    print(f"{k:>2}  {label[p]:<12} {statistics.median(totals):>9.0f} ms, {max(totals):>5} ms "
          f"{statistics.median(j['setup-time'] for j, _ in runs):>12.0f} ms {agg:>7.0f} Mbit/s {per:>8.0f} Mbit/s")
print("(aggregate: all the bytes moved over the longest total-time; per migration: the median of each one's own rate)")
PY
