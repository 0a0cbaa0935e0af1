# shellcheck shell=bash
# What deploy/local/cluster.sh and deploy/netns/cluster.sh share: options, the orchestrator command,
# node pid files, the fleet journal of a new cluster, waiting for nodes to come up and stopping them.
# Sourced, not run. The script sets before sourcing:
#   SCRIPT       its own path (the usage lines are read from its header)
#   USAGE_LINES  the sed range of those lines, e.g. '5,7'
# and defines:
#   set_option NAME VALUE   one option parse_options accepted
#   node_is_ours PID NAME   true when PID is this cluster's node NAME (a pid may have been recycled)
#   describe_up K           the line printed once hostK is up
# DIR, START_TIMEOUT and STOP_TIMEOUT are the script's too.

# The usage lines of the header; on stderr with exit 2 after a mistake, on stdout for --help.
usage() {
    local code="${1:-2}"
    if ((code == 0)); then
        sed -n "${USAGE_LINES}s/^#   //p" "$SCRIPT"
    else
        sed -n "${USAGE_LINES}s/^#   //p" "$SCRIPT" >&2
    fi
    exit "$code"
}

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

# Options as NAME VALUE or NAME=VALUE; $1 lists those the subcommand takes, each goes to set_option.
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
        set_option "$name" "$value"
        shift
    done
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
    if ps -p "$pid" -o args= 2>/dev/null | grep -q -- "node --name $name " && node_is_ours "$pid" "$name"; then
        echo "$pid"
    fi
}

pid_files() {
    compgen -G "$DIR/host*.pid" | sort -V || true
}

# How to run orchestrator, as absolute paths (a namespace's shell has no other PATH or directory):
# ORCHESTRATOR_BIN, or a Release build of src/Orchestrator made now. Sets ORCHESTRATOR.
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
        ORCHESTRATOR=("$(command -v dotnet)" "$(realpath "$bin")")
    else
        command -v "$bin" >/dev/null || die "ORCHESTRATOR_BIN: not an executable: $bin"
        ORCHESTRATOR=("$(command -v "$bin")")
    fi
}

# The fleet's journal (SQLite) lives in the data directory, shared by the nodes so the fleet singleton
# recovers it on whichever node it moves to. A new cluster has no VMs: the last one's journal is set aside.
set_aside_journal() {
    local data_dir="$1"
    if [[ -f "$data_dir/fleet.db" ]]; then
        mv -f "$data_dir/fleet.db" "$data_dir/fleet.db.previous"
        rm -f "$data_dir/fleet.db-wal" "$data_dir/fleet.db-shm"
        echo "the previous cluster's fleet journal is now $data_dir/fleet.db.previous"
    fi
}

# Waits for each node's 'node hostK ... up' log line; returns 1, having said why, when one exits or
# START_TIMEOUT passes.
wait_until_up() {
    local count="$1" k name reason deadline=$((SECONDS + START_TIMEOUT))
    for ((k = 1; k <= count; k++)); do
        name="host$k"
        until grep -E '^node ' "$DIR/$name.log" 2>/dev/null | grep -q ' up'; do
            reason=""
            if [[ -s "$DIR/$name.pid" && -z "$(node_pid "$DIR/$name.pid")" ]]; then
                reason="$name exited"
            elif ((SECONDS >= deadline)); then
                reason="$name not up within $START_TIMEOUT s"
            fi
            if [[ -n "$reason" ]]; then
                echo "cluster.sh: $reason; the end of $DIR/$name.log:" >&2
                tail -n 30 "$DIR/$name.log" >&2 || true
                return 1
            fi
            sleep 0.5
        done
        describe_up "$k"
    done
}

# The pids of the nodes whose pid files still name them.
running_nodes() {
    local file files pid
    mapfile -t files < <(pid_files)
    for file in "${files[@]}"; do
        pid="$(node_pid "$file")"
        [[ -z "$pid" ]] || echo "$pid"
    done
}

# SIGTERM to each pid (a graceful leave), SIGKILL to those still there after STOP_TIMEOUT.
terminate() {
    (($#)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT)) pid alive
    while :; do
        alive=()
        for pid in "$@"; do
            ! kill -0 "$pid" 2>/dev/null || alive+=("$pid")
        done
        ((${#alive[@]})) || return 0
        if ((SECONDS >= deadline)); then
            echo "cluster.sh: still running after $STOP_TIMEOUT s, killing: ${alive[*]}" >&2
            kill -KILL "${alive[@]}" 2>/dev/null || true
            sleep 0.5
            return 0
        fi
        sleep 0.5
    done
}

# Exit 0 when every node runs, 3 when some or all do not (as systemctl status); describe_node NAME PID
# prints the rest of a node's line.
node_status() {
    local files file name pid running=0 total=0 state
    mapfile -t files < <(pid_files)
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
        echo "$name  $state$(describe_node "$name")"
    done
    grep -s '^ORCHESTRATOR_API=' "$DIR/cluster.env" || true
    ((running == total)) || exit 3
}
