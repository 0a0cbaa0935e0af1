#!/usr/bin/env bash
# Peer benchmark: the same amount of non-zero guest memory migrated on loopback by QEMU 10 and by
# us, back to back and alternating (qemu, ours, qemu, ours, ...), then both sides' total-time,
# setup-time, downtime and throughput per run, min/median, and ours/QEMU of the medians.
# Without QEMU it says so and measures only us. Numbers go in docs/benchmarks.md.
#
# Ours is measured two ways: `demo` (two ActorSystems in a fresh process per run, as the issue's
# table was measured) and `node` (one VM migrated back and forth between two node processes of
# deploy/local/cluster.sh that stay up, after warm-up migrations): the difference is what a fresh
# .NET process costs (JIT, first association), which a long-running node pays once.
#
#   deploy/bench/peer-qemu.sh [--runs N] [--data SIZE] [--downtime-limit MS] [--ours demo,node]
#                             [--warmup N] [--multifd N] [--no-build]
#
#   --runs N            runs per side (default 3)
#   --data SIZE         non-zero guest memory per VM, MiB or with MiB/GiB (default 256MiB). QEMU's
#                       guest has that much RAM, all random bytes; ours has twice as much, since
#                       half of our RAM model is zero pages (demo --ram 2*SIZE)
#   --downtime-limit MS both sides' downtime-limit (default 300)
#   --ours LIST         which of our sides: demo, node or demo,node (default demo,node)
#   --warmup N          node side: migrations before the measured ones, not counted (default 2)
#   --multifd N         ours with multifd on, N channels on both sides (default 0: the Akka.Remote
#                       path); QEMU's side stays as in the issue's table, without multifd
#   --no-build          skip `dotnet build -c Release` (use an existing build)
#   ORCHESTRATOR_BIN    another build's orchestrator.dll (implies --no-build)
#   QEMU_BIN            the peer's binary (default qemu-system-x86_64 on PATH)
#   BASE_PORT, API_BASE_PORT  the node side's remoting and API ports (25700, 29700; two each)
#
# Exit codes: 0 every migration completed, 1 one failed (its error on stderr), 2 bad arguments.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/deploy/bench"
RUNS=3
DATA=256MiB
DOWNTIME=300
OURS=demo,node
WARMUP=2
MULTIFD=0
BASE_PORT="${BASE_PORT:-25700}"
API_BASE_PORT="${API_BASE_PORT:-29700}"
BUILD=1
BIN="${ORCHESTRATOR_BIN:-}"
[[ -n "$BIN" ]] && BUILD=0
BIN="${BIN:-$ROOT/src/Orchestrator/bin/Release/net10.0/orchestrator.dll}"
QEMU_BIN="${QEMU_BIN:-qemu-system-x86_64}"

usage() { sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="${2:-}"; shift 2 ;;
        --data) DATA="${2:-}"; shift 2 ;;
        --downtime-limit) DOWNTIME="${2:-}"; shift 2 ;;
        --ours) OURS="${2:-}"; shift 2 ;;
        --warmup) WARMUP="${2:-}"; shift 2 ;;
        --multifd) MULTIFD="${2:-}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "--runs: a positive whole number, not '$RUNS'" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "--warmup: a whole number, not '$WARMUP'" >&2; exit 2; }
[[ "$MULTIFD" =~ ^[0-9]+$ ]] && ((MULTIFD <= 255)) || { echo "--multifd: a channel count from 1 to 255 (0: off), not '$MULTIFD'" >&2; exit 2; }
[[ "$OURS" =~ ^(demo|node|demo,node|node,demo)$ ]] || { echo "--ours: demo, node or demo,node, not '$OURS'" >&2; exit 2; }
DEMO=0; NODE=0
[[ ",$OURS," == *,demo,* ]] && DEMO=1
[[ ",$OURS," == *,node,* ]] && NODE=1
[[ "$DOWNTIME" =~ ^[0-9]+$ ]] || { echo "--downtime-limit: milliseconds, not '$DOWNTIME'" >&2; exit 2; }
case "$DATA" in
    *GiB) n=${DATA%GiB}; [[ "$n" =~ ^[0-9]+$ ]] && DATA_MIB=$(( n * 1024 )) ;;
    *MiB) DATA_MIB=${DATA%MiB} ;;
    *) DATA_MIB=$DATA ;;
esac
[[ "${DATA_MIB:-}" =~ ^[1-9][0-9]*$ ]] || { echo "--data: a size such as 256, 256MiB or 1GiB, not '$DATA'" >&2; exit 2; }

DIR="$(mktemp -d "${TMPDIR:-/tmp}/peer-qemu.XXXXXX")"
cleanup() {
    if [[ -d "$DIR/cluster" ]]; then
        ORCHESTRATOR_BIN="$BIN" bash "$ROOT/deploy/local/cluster.sh" stop --dir "$DIR/cluster" >/dev/null 2>&1 || true
    fi
    # QEMU processes the driver started (it kills them itself; this covers a driver killed first).
    if [[ -f "$DIR/qemu.pids" ]]; then
        while read -r pid; do
            [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == qemu* ]] && kill -9 "$pid" 2>/dev/null || true
        done <"$DIR/qemu.pids"
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# The peer: QEMU, with KVM where /dev/kvm is usable, else TCG.
QEMU=1
if ! command -v "$QEMU_BIN" >/dev/null 2>&1; then
    QEMU=0
    cat >&2 <<'EOF'
QEMU is not installed: measuring only orchestrator; to add the peer:
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' | sudo tee /etc/apt/sources.list.d/bookworm-backports.sources
  sudo apt-get update && sudo apt-get install -y --no-install-recommends -t bookworm-backports qemu-system-x86
EOF
fi
if [[ $QEMU == 1 ]]; then
    if [[ -c /dev/kvm && -r /dev/kvm && -w /dev/kvm ]]; then ACCEL=kvm; else ACCEL=tcg; fi
    echo "peer: $("$QEMU_BIN" --version | head -1), accel $ACCEL$([[ $ACCEL == tcg ]] && echo ' (/dev/kvm not usable here: TCG is far slower than KVM)')"
fi

# shellcheck source=SCRIPTDIR/build.sh
. "$ROOT/deploy/bench/build.sh"
build_release
echo "ours: $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo '?'), $BIN"

if [[ $QEMU == 1 ]]; then
    head -c "$((DATA_MIB << 20))" /dev/urandom >"$DIR/ram.bin"
fi
echo "data: $DATA_MIB MiB of non-zero guest memory per VM; downtime-limit $DOWNTIME ms, bandwidth unlimited, loopback; $RUNS run(s) per side"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

fail() { echo "$1" >&2; [[ -f "$2" ]] && tail -20 "$2" >&2; exit 1; }
CAPS=return-path,switchover-ack
DEMO_MULTIFD=()
if ((MULTIFD > 0)); then
    CAPS=$CAPS,multifd
    DEMO_MULTIFD=(--multifd-channels "$MULTIFD" --dest-multifd-channels "$MULTIFD")
    echo "ours: multifd on, $MULTIFD channel(s) on both sides"
fi
if [[ $NODE == 1 ]]; then
    # ORCHESTRATOR_BIN always: cluster.sh would otherwise build again, outside the build lock.
    ORCHESTRATOR_BIN="$BIN" bash "$ROOT/deploy/local/cluster.sh" start 2 --dir "$DIR/cluster" \
        --base-port "$BASE_PORT" --api-base-port "$API_BASE_PORT" >"$DIR/cluster.out" 2>&1 ||
        fail "the node side's cluster did not start (BASE_PORT/API_BASE_PORT pick other ports)" "$DIR/cluster.out"
    orch() { dotnet "$BIN" "$@" --api "http://127.0.0.1:$API_BASE_PORT"; }
    orch vm create peer-bench --host host1 --ram "$((2 * DATA_MIB))MiB" --vfio 0 --vgpu 0 --dirty-rate 0 >"$DIR/vm.out" 2>&1 ||
        fail "could not create the node side's VM" "$DIR/vm.out"
    if ((MULTIFD > 0)); then
        for h in host1 host2; do
            { orch migrate-set-capabilities --host $h multifd=on && orch migrate-set-parameters --host $h multifd-channels="$MULTIFD"; } >>"$DIR/vm.out" 2>&1 ||
                fail "could not turn multifd on for $h" "$DIR/vm.out"
        done
    fi
    AT=host1
    node_migrate() {  # $1: output file; moves the VM to the other host
        local to; [[ $AT == host1 ]] && to=host2 || to=host1
        # A VM's parameters stay with its host, so they are set before every move.
        if ((MULTIFD > 0)); then
            orch migrate-set-parameters peer-bench multifd-channels="$MULTIFD" >"$1.err" 2>&1 || return 1
        fi
        orch migrate peer-bench --to "$to" --capabilities "$CAPS" --downtime-limit "$DOWNTIME" --max-bandwidth 0 \
            --wait --json </dev/null >"$1" 2>"$1.err" || { cat "$1" >>"$1.err"; return 1; }
        AT=$to
    }
    for w in $(seq 1 "$WARMUP"); do
        node_migrate "$DIR/warmup.$w.json" || fail "node side: warm-up migration $w did not complete" "$DIR/warmup.$w.json.err"
    done
    echo "node side: 2 node processes up, $WARMUP warm-up migration(s) done"
fi
for i in $(seq 1 "$RUNS"); do
    if [[ $QEMU == 1 ]]; then
        python3 "$HERE/qemu-migrate.py" --mem-file "$DIR/ram.bin" --size-mib "$DATA_MIB" --accel "$ACCEL" --qemu "$QEMU_BIN" \
            --workdir "$DIR" --downtime-limit "$DOWNTIME" >"$DIR/qemu.$i.json" 2>"$DIR/qemu.$i.err" ||
            fail "run $i: QEMU's migration did not complete" "$DIR/qemu.$i.err"
        echo "run $i: qemu done"
    fi
    if [[ $DEMO == 1 ]]; then
        dotnet "$BIN" demo --ram "$((2 * DATA_MIB))MiB" --vfio 0 --vgpu 0 --dirty-rate 0 --max-bandwidth 0 \
            --capabilities "$CAPS" --dest-capabilities "$CAPS" --downtime-limit "$DOWNTIME" "${DEMO_MULTIFD[@]}" \
            --json </dev/null >"$DIR/demo.$i.json" 2>"$DIR/demo.$i.err" ||
            { cat "$DIR/demo.$i.json" >>"$DIR/demo.$i.err"; fail "run $i: our migration (demo) did not complete" "$DIR/demo.$i.err"; }
        echo "run $i: ours (demo) done"
    fi
    if [[ $NODE == 1 ]]; then
        node_migrate "$DIR/node.$i.json" || fail "run $i: our migration (node) did not complete" "$DIR/node.$i.json.err"
        echo "run $i: ours (node) done"
    fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$DIR" "$RUNS" "$QEMU" "$DEMO" "$NODE" <<'PY'
import json, statistics, sys
d, runs, qemu, demo, node = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "1", sys.argv[5] == "1"
ours = (["demo"] if demo else []) + (["node"] if node else [])
sides = (["qemu"] if qemu else []) + ours
label = {"qemu": "QEMU", "demo": "ours, demo", "node": "ours, node"}
cols = ["total-time", "setup-time", "downtime", "throughput"]

def row(q):
    r = q["ram"]
    # throughput: bytes the migration sent (ram.transferred) over its total-time, the same for both
    # sides; each side's own ram.mbps is kept beside it (QEMU: its last iteration's rate).
    return {"total-time": q["total-time"], "setup-time": q["setup-time"], "downtime": q["downtime"],
            "throughput": r["transferred"] * 8 / q["total-time"] / 1000, "mbps": r["mbps"],
            "transferred": r["transferred"] / 2**20}

data = {s: [row(json.load(open(f"{d}/{s}.{i}.json"))) for i in range(1, runs + 1)] for s in sides}
fmt = {"total-time": "{:.0f} ms", "setup-time": "{:.0f} ms", "downtime": "{:.0f} ms",
       "throughput": "{:.0f} Mbit/s", "mbps": "{:.0f} Mbit/s", "transferred": "{:.1f} MiB"}
hdr = ["run", "side", "total-time", "setup-time", "downtime", "throughput", "own ram.mbps", "transferred"]
keys = ["total-time", "setup-time", "downtime", "throughput", "mbps", "transferred"]
lines = []
for i in range(runs):
    for s in sides:
        lines.append([str(i + 1), label[s]] + [fmt[k].format(data[s][i][k]) for k in keys])
for agg, f in (("min", min), ("median", statistics.median)):
    for s in sides:
        lines.append([agg, label[s]] + [fmt[k].format(f(x[k] for x in data[s])) for k in keys])
w = [max(len(h), *(len(l[j]) for l in lines)) for j, h in enumerate(hdr)]
print()
print("  ".join(h.ljust(w[j]) for j, h in enumerate(hdr)))
for l in lines:
    print("  ".join(c.rjust(w[j]) if j > 1 else c.ljust(w[j]) for j, c in enumerate(l)))
print("(throughput = ram.transferred / total-time on every side; min of throughput is the slowest run's."
      " demo: a fresh process per run; node: two node processes that stay up)")
if qemu:
    med = {s: {k: statistics.median(x[k] for x in data[s]) for k in keys} for s in sides}
    def ratio(o, k):
        return "n/a (QEMU's is 0)" if med["qemu"][k] == 0 else f"{med[o][k] / med['qemu'][k]:.2f}"
    for o in ours:
        print(f"{label[o]}/QEMU, medians: " + ", ".join(f"{k} {ratio(o, k)}" for k in cols))
PY
