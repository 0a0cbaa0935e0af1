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

SCRIPT="${BASH_SOURCE[0]}"
USAGE_LINES='5,7'
# shellcheck source=SCRIPTDIR/../lib/nodes.sh
. "$ROOT/deploy/lib/nodes.sh"

set_option() {
    case "$1" in
        --dir) DIR="$2" ;;
        --base-port) BASE_PORT="$2" ;;
        --api-base-port) API_BASE_PORT="$2" ;;
    esac
}

# On 127.0.0.1 the command line is all there is to check.
node_is_ours() { true; }

describe_up() {
    echo "host$1 up: remoting 127.0.0.1:$((BASE_PORT + $1 - 1)), API http://127.0.0.1:$((API_BASE_PORT + $1 - 1))"
}

describe_node() { echo "  log $DIR/$1.log"; }

check_ports() {
    [[ "$BASE_PORT" =~ ^[0-9]+$ && "$API_BASE_PORT" =~ ^[0-9]+$ ]] || die "ports must be numbers"
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
    check_ports

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
    local data_dir="${ORCHESTRATOR__DATADIR:-$DIR}"
    set_aside_journal "$data_dir"

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

    if ! wait_until_up "$count"; then
        echo "cluster.sh: stopping the nodes started so far" >&2
        stop_nodes
        exit 1
    fi
    echo "cluster of $count up; to use it: set -a; . $DIR/cluster.env; set +a   (or: orchestrator hosts --api http://127.0.0.1:$API_BASE_PORT)"
}

# Every node asked to leave, and killed if it has not after STOP_TIMEOUT.
stop_nodes() {
    local pids
    mapfile -t pids < <(running_nodes)
    terminate "${pids[@]}"
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
    if [[ -z "$(pid_files)" ]]; then
        echo "no cluster in $DIR"
        exit 3
    fi
    node_status
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
