#!/usr/bin/env bash
# An N-node Orchestrator cluster on 127.0.0.1, one node process per host, for trying the CLI
# and the HTTP API without machines. See deploy/README.md.
#
#   cluster.sh start N [--dir DIR] [--base-port P] [--api-base-port Q]
#   cluster.sh stop    [--dir DIR]
#   cluster.sh status  [--dir DIR]
#
# Nodes are host1..hostN with remoting ports P..P+N-1 (4053) and API ports Q..Q+N-1 (8080), all
# seeded with host1. DIR (./.cluster) holds hostK.pid, hostK.log and cluster.env.
# Environment: ORCHESTRATOR_BIN (orchestrator.dll or an executable; default: build src/Orchestrator
# in Release), CAPACITY (8GiB per node), START_TIMEOUT (60 s per cluster), STOP_TIMEOUT (30 s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="./.cluster"
BASE_PORT=4053
API_BASE_PORT=8080
START_TIMEOUT="${START_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"

# The usage lines of the header; on stderr with exit 2 after a mistake, on stdout for --help.
usage() {
    local code="${1:-2}"
    if ((code == 0)); then
        sed -n '5,7s/^#   //p' "${BASH_SOURCE[0]}"
    else
        sed -n '5,7s/^#   //p' "${BASH_SOURCE[0]}" >&2
    fi
    exit "$code"
}

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

# Options shared by every subcommand: --dir, --base-port, --api-base-port (as NAME VALUE or NAME=VALUE).
parse_options() {
    local allowed="$1"
    shift
    while (($#)); do
        local name="$1" value
        if [[ "$name" == --*=* ]]; then
            value="${name#*=}"
            name="${name%%=*}"
        else
            (($# >= 2)) || { echo "cluster.sh: option $name needs a value" >&2; usage; }
            value="$2"
            shift
        fi
        [[ " $allowed " == *" $name "* ]] || { echo "cluster.sh: unknown argument '$name'" >&2; usage; }
        case "$name" in
            --dir) DIR="$value" ;;
            --base-port) BASE_PORT="$value" ;;
            --api-base-port) API_BASE_PORT="$value" ;;
        esac
        shift
    done
    [[ "$BASE_PORT" =~ ^[0-9]+$ && "$API_BASE_PORT" =~ ^[0-9]+$ ]] || die "ports must be numbers"
    # Absolute, for messages and for the pid files; stop and status never create it.
    DIR="$(realpath -m -- "$DIR")"
}

# The pid in a node's pid file if that process is still this cluster's node, else nothing.
node_pid() {
    local file="$1" name pid
    name="$(basename "$file" .pid)"
    pid="$(cat "$file" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    # A recycled pid belongs to someone else: only a process running our node command line counts.
    if ps -p "$pid" -o args= 2>/dev/null | grep -q -- "node --name $name "; then
        echo "$pid"
    fi
}

pid_files() {
    compgen -G "$DIR/host*.pid" | sort -V || true
}

# How to run orchestrator: ORCHESTRATOR_BIN, or a Release build of src/Orchestrator made now.
resolve_command() {
    local bin="${ORCHESTRATOR_BIN:-}"
    if [[ -z "$bin" ]]; then
        echo "building src/Orchestrator (Release); output in $DIR/build.log"
        if ! dotnet build "$ROOT/src/Orchestrator" -c Release >"$DIR/build.log" 2>&1; then
            tail -n 30 "$DIR/build.log" >&2
            die "build failed; see $DIR/build.log"
        fi
        bin="$ROOT/src/Orchestrator/bin/Release/net10.0/orchestrator.dll"
    fi
    if [[ "$bin" == *.dll ]]; then
        [[ -f "$bin" ]] || die "ORCHESTRATOR_BIN: no such file: $bin"
        ORCHESTRATOR=(dotnet "$bin")
    else
        command -v "$bin" >/dev/null || die "ORCHESTRATOR_BIN: not an executable: $bin"
        ORCHESTRATOR=("$bin")
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    if (($# == 0)) || [[ ! "$1" =~ ^[1-9][0-9]*$ ]]; then
        echo "cluster.sh: start needs a node count N >= 1" >&2
        usage
    fi
    local count="$1"
    shift
    parse_options "--dir --base-port --api-base-port" "$@"

    local file files
    mapfile -t files < <(pid_files)
    for file in "${files[@]}"; do
        [[ -z "$(node_pid "$file")" ]] || die "a cluster is already running in $DIR: 'cluster.sh stop --dir $DIR' first"
    done
    local k port
    for ((k = 0; k < count; k++)); do
        for port in $((BASE_PORT + k)) $((API_BASE_PORT + k)); do
            ! port_in_use "$port" || die "port $port on 127.0.0.1 is already in use: choose others with --base-port / --api-base-port"
        done
    done
    mkdir -p "$DIR"
    resolve_command
    rm -f "$DIR"/host*.pid "$DIR"/host*.log
    # The fleet's journal (SQLite) lives in DIR, shared by the nodes so the fleet singleton recovers
    # it on whichever node it moves to. A new cluster has no VMs: the last one's journal is set aside.
    local data_dir="${ORCHESTRATOR__DATADIR:-$DIR}"
    if [[ -f "$data_dir/fleet.db" ]]; then
        mv -f "$data_dir/fleet.db" "$data_dir/fleet.db.previous"
        rm -f "$data_dir/fleet.db-wal" "$data_dir/fleet.db-shm"
        echo "the previous cluster's fleet journal is now $data_dir/fleet.db.previous"
    fi

    local seed="127.0.0.1:$BASE_PORT"
    for ((k = 1; k <= count; k++)); do
        local name="host$k"
        local node_command=("${ORCHESTRATOR[@]}" node --name "$name" --hostname 127.0.0.1 --port $((BASE_PORT + k - 1))
            --seed "$seed" --api "http://127.0.0.1:$((API_BASE_PORT + k - 1))" --capacity "${CAPACITY:-8GiB}" --data-dir "$data_dir")
        echo "starting $name: ${node_command[*]}"
        # setsid: a Ctrl-C in this terminal later must not reach the nodes. The inner shell writes its own
        # pid (then becomes the node with exec), which is right whether or not setsid had to fork.
        # shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's
        setsid bash -c 'echo $$ >"$0"; exec "$@"' "$DIR/$name.pid" "${node_command[@]}" >"$DIR/$name.log" 2>&1 </dev/null &
    done
    cat >"$DIR/cluster.env" <<ENV
ORCHESTRATOR_API=http://127.0.0.1:$API_BASE_PORT
CLUSTER_NODES=$count
CLUSTER_BASE_PORT=$BASE_PORT
CLUSTER_API_BASE_PORT=$API_BASE_PORT
ENV

    local deadline=$((SECONDS + START_TIMEOUT))
    for ((k = 1; k <= count; k++)); do
        local name="host$k"
        until grep -E '^node ' "$DIR/$name.log" 2>/dev/null | grep -q ' up'; do
            local reason=""
            if [[ -s "$DIR/$name.pid" && -z "$(node_pid "$DIR/$name.pid")" ]]; then
                reason="$name exited"
            elif ((SECONDS >= deadline)); then
                reason="$name not up within $START_TIMEOUT s"
            fi
            if [[ -n "$reason" ]]; then
                echo "cluster.sh: $reason; the end of $DIR/$name.log:" >&2
                tail -n 30 "$DIR/$name.log" >&2 || true
                echo "cluster.sh: stopping the nodes started so far" >&2
                stop_nodes
                exit 1
            fi
            sleep 0.5
        done
        echo "$name up: remoting 127.0.0.1:$((BASE_PORT + k - 1)), API http://127.0.0.1:$((API_BASE_PORT + k - 1))"
    done
    echo "cluster of $count up; to use it: set -a; . $DIR/cluster.env; set +a   (or: orchestrator hosts --api http://127.0.0.1:$API_BASE_PORT)"
}

# SIGTERM to every node (a graceful leave), SIGKILL to those still there after STOP_TIMEOUT.
stop_nodes() {
    local file files pid pids=()
    mapfile -t files < <(pid_files)
    for file in "${files[@]}"; do
        pid="$(node_pid "$file")"
        if [[ -n "$pid" ]]; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    local deadline=$((SECONDS + STOP_TIMEOUT)) alive
    while :; do
        alive=()
        for pid in "${pids[@]}"; do
            ! kill -0 "$pid" 2>/dev/null || alive+=("$pid")
        done
        ((${#alive[@]})) || break
        if ((SECONDS >= deadline)); then
            echo "cluster.sh: still running after $STOP_TIMEOUT s, killing: ${alive[*]}" >&2
            kill -KILL "${alive[@]}" 2>/dev/null || true
            break
        fi
        sleep 0.5
    done
    rm -f "$DIR"/host*.pid
    if ((${#pids[@]})); then
        echo "stopped ${#pids[@]} node(s) in $DIR"
    else
        echo "no node running in $DIR"
    fi
}

stop() {
    parse_options "--dir" "$@"
    stop_nodes
}

# Exit 0 when every node runs, 3 when some or all do not (as systemctl status).
status() {
    parse_options "--dir" "$@"
    local files
    mapfile -t files < <(pid_files)
    if ((${#files[@]} == 0)); then
        echo "no cluster in $DIR"
        exit 3
    fi
    local file name pid running=0 total=0 state
    for file in "${files[@]}"; do
        name="$(basename "$file" .pid)"
        pid="$(node_pid "$file")"
        total=$((total + 1))
        if [[ -n "$pid" ]]; then
            running=$((running + 1))
            state="running (pid $pid)"
            grep -E '^node ' "$DIR/$name.log" 2>/dev/null | grep -q ' up' || state="$state, not up yet"
        else
            state="stopped"
        fi
        echo "$name  $state  log $DIR/$name.log"
    done
    grep -s '^ORCHESTRATOR_API=' "$DIR/cluster.env" || true
    ((running == total)) || exit 3
}

(($# >= 1)) || usage
subcommand="$1"
shift
case "$subcommand" in
    start) start "$@" ;;
    stop) stop "$@" ;;
    status) status "$@" ;;
    -h | --help | help) usage 0 ;;
    *) echo "cluster.sh: unknown command '$subcommand'" >&2; usage ;;
esac
