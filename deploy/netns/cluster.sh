#!/usr/bin/env bash
# An N-node Orchestrator cluster on one machine where every host is a node process in its own
# network namespace with its own address, and the links between hosts can be cut or slowed: a
# multi-host-like topology for drills and scenario tests. Needs root. See deploy/README.md.
#
#   cluster.sh start N [--dir DIR] [--prefix NAME] [--subnet X]
#   cluster.sh stop    [--dir DIR] [--prefix NAME]
#   cluster.sh status  [--dir DIR]
#   cluster.sh partition A B [--dir DIR]       cut the link between hostA and hostB, both ways
#   cluster.sh heal A B [--dir DIR]
#   cluster.sh slow-link A B [--rate 20mbit] [--delay 50ms] [--loss 1%] [--dir DIR]
#   cluster.sh clear-link A B [--dir DIR]
#   cluster.sh kill K [--dir DIR]              SIGKILL hostK's node process
#
# Topology: namespace PREFIX-hub holds a bridge; namespace PREFIX-hostK holds hostK's node with
# eth0 = 10.X.0.K/24 on that bridge (remoting on port 4053, the API on http://10.X.0.K:8080); the
# root namespace joins the bridge as 10.X.0.254 (veth PREFIX-rt), so the CLI and tests reach every
# node's API. Faults act on the hosts' eth0: a partition is a blackhole route each way, a slow link
# an htb class (rate) with a netem leaf (delay, loss) for the peer's address.
# PREFIX defaults to 'orc-' and a hash of DIR; X is the first free /24 from a hash of PREFIX.
# Environment: ORCHESTRATOR_BIN (orchestrator.dll or an executable; default: build src/Orchestrator
# in Release), CAPACITY (8GiB per node; CAPACITY_K for hostK alone), START_TIMEOUT (60 s per cluster), STOP_TIMEOUT (30 s),
# ORCHESTRATOR__* (passed on to every node, e.g. ORCHESTRATOR__CLUSTER__HEARTBEATPAUSE=3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="./.cluster-netns"
PREFIX=""
SUBNET=""
RATE=""
DELAY=""
LOSS=""
REMOTING_PORT=4053
API_PORT=8080
START_TIMEOUT="${START_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
LOCK=/run/lock/orchestrator-netns.lock

# The usage lines of the header; on stderr with exit 2 after a mistake, on stdout for --help.
usage() {
    local code="${1:-2}"
    if ((code == 0)); then
        sed -n '6,13s/^#   //p' "${BASH_SOURCE[0]}"
    else
        sed -n '6,13s/^#   //p' "${BASH_SOURCE[0]}" >&2
    fi
    exit "$code"
}

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

need_root() {
    ((EUID == 0)) || die "network namespaces need root: run it as root (e.g. with sudo), or use deploy/local/cluster.sh for a cluster on 127.0.0.1"
    command -v ip >/dev/null || die "'ip' (iproute2) not found: install iproute2"
    ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here (no network namespace support?)"
}

# Options (as NAME VALUE or NAME=VALUE); $1 lists those the subcommand takes.
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
            --prefix) PREFIX="$value" ;;
            --subnet) SUBNET="$value" ;;
            --rate) RATE="$value" ;;
            --delay) DELAY="$value" ;;
            --loss) LOSS="$value" ;;
        esac
        shift
    done
    DIR="$(realpath -m -- "$DIR")"
    # A cluster's own file wins over the defaults, so faults and stop find what start made.
    if [[ -z "$PREFIX" && -f "$DIR/cluster.env" ]]; then
        PREFIX="$(sed -n 's/^NETNS_PREFIX=//p' "$DIR/cluster.env")"
    fi
    [[ -n "$PREFIX" ]] || PREFIX="orc-$(printf '%s' "$DIR" | sha1sum | cut -c1-6)"
    [[ "$PREFIX" =~ ^[a-z0-9][a-z0-9-]{0,11}$ ]] || die "invalid --prefix '$PREFIX': 1 to 12 of a-z, 0-9, '-' (it names namespaces and the veth $PREFIX-rt)"
    if [[ -n "$SUBNET" ]]; then
        [[ "$SUBNET" =~ ^[0-9]+$ ]] && ((SUBNET >= 1 && SUBNET <= 254)) || die "invalid --subnet '$SUBNET': X of 10.X.0.0/24, 1 to 254"
    fi
}

hub_ns() { echo "$PREFIX-hub"; }
host_ns() { echo "$PREFIX-host$1"; }
root_veth() { echo "$PREFIX-rt"; }
ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }
our_namespaces() { ip netns list | awk '{print $1}' | grep -E "^$PREFIX-(hub|host[0-9]+)\$" | sort -V || true; }

# The cluster's settings written by start; fails with advice when there is none.
load_env() {
    [[ -f "$DIR/cluster.env" ]] || die "no cluster in $DIR: 'cluster.sh start N --dir $DIR' first"
    NODES="$(sed -n 's/^CLUSTER_NODES=//p' "$DIR/cluster.env")"
    SUBNET="$(sed -n 's/^NETNS_SUBNET=//p' "$DIR/cluster.env")"
    ns_exists "$(hub_ns)" || die "the namespaces of the cluster in $DIR ($PREFIX-*) are gone: start it again"
}

# hostK or K -> K, checked against the cluster's size.
host_number() {
    local k="${1#host}"
    [[ "$k" =~ ^[1-9][0-9]*$ ]] && ((k <= NODES)) || die "unknown host '$1': use 1..$NODES or host1..host$NODES"
    echo "$k"
}

address() { echo "10.$SUBNET.0.$1"; }

# The pid in a node's pid file if that process is still this cluster's node, else nothing.
node_pid() {
    local file="$1" name pid
    name="$(basename "$file" .pid)"
    pid="$(cat "$file" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    # A recycled pid belongs to someone else: only our node command line in our namespace counts.
    if ps -p "$pid" -o args= 2>/dev/null | grep -q -- "node --name $name " &&
        [[ "$(ip netns identify "$pid" 2>/dev/null)" == "$PREFIX-$name" ]]; then
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
        ORCHESTRATOR=("$(command -v dotnet)" "$(realpath "$bin")")
    else
        command -v "$bin" >/dev/null || die "ORCHESTRATOR_BIN: not an executable: $bin"
        ORCHESTRATOR=("$(command -v "$bin")")
    fi
}

# The first 10.X.0.0/24 not routed in the root namespace, starting from a hash of the prefix.
pick_subnet() {
    local start x i
    start=$((0x$(printf '%s' "$PREFIX" | sha1sum | cut -c1-4) % 200 + 20))
    for ((i = 0; i < 254; i++)); do
        x=$(((start + i - 1) % 254 + 1))
        if ! ip -4 route show | grep -q "^10\.$x\.0\.0/24 " && ! ip -4 addr show | grep -q "inet 10\.$x\.0\."; then
            echo "$x"
            return
        fi
    done
    die "no free 10.X.0.0/24 found in the root namespace: pass --subnet X"
}

# The bridge, one veth per host and one to the root namespace. Runs under the lock so that two
# clusters starting at once never pick the same subnet.
create_topology() {
    local count="$1" hub k ns
    hub="$(hub_ns)"
    if [[ -z "$SUBNET" ]]; then
        SUBNET="$(pick_subnet)"
    elif ip -4 route show | grep -q "^10\.$SUBNET\.0\.0/24 "; then
        die "10.$SUBNET.0.0/24 is already routed in the root namespace: pick another --subnet"
    fi
    ip netns add "$hub"
    ip -n "$hub" link set lo up
    ip -n "$hub" link add br0 type bridge
    ip -n "$hub" link set br0 up
    ip link add "$(root_veth)" type veth peer name root netns "$hub"
    ip -n "$hub" link set root master br0 up
    ip addr add "10.$SUBNET.0.254/24" dev "$(root_veth)"
    ip link set "$(root_veth)" up
    for ((k = 1; k <= count; k++)); do
        ns="$(host_ns "$k")"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip -n "$hub" link add "h$k" type veth peer name eth0 netns "$ns"
        ip -n "$hub" link set "h$k" master br0 up
        ip -n "$ns" addr add "$(address "$k")/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
}

# Everything start made: processes (by pid file, then anything left in our namespaces), namespaces,
# the root veth. Safe to run twice and after a start that failed half way.
teardown() {
    local file files pid pids=() ns
    mapfile -t files < <(pid_files)
    for file in "${files[@]}"; do
        pid="$(node_pid "$file")"
        [[ -z "$pid" ]] || pids+=("$pid")
    done
    for ns in $(our_namespaces); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            [[ " ${pids[*]} " == *" $pid "* ]] || pids+=("$pid")
        done
    done
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
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
                sleep 0.5
                break
            fi
            sleep 0.5
        done
    fi
    local removed=0
    for ns in $(our_namespaces); do
        ip netns del "$ns" && removed=$((removed + 1))
    done
    # Deleting the hub namespace destroys the veth pair on its own, asynchronously: the root end may
    # vanish between a look and a delete, which must not fail the stop (set -e) halfway.
    ip link del "$(root_veth)" 2>/dev/null || true
    local tries
    for ((tries = 0; tries < 20; tries++)); do
        ip link show "$(root_veth)" >/dev/null 2>&1 || break
        sleep 0.1
    done
    ! ip link show "$(root_veth)" >/dev/null 2>&1 || echo "cluster.sh: the veth $(root_veth) is still there: remove it with 'ip link del $(root_veth)'" >&2
    rm -f "$DIR"/host*.pid
    echo "stopped ${#pids[@]} node(s) and removed $removed namespace(s) of $PREFIX ($DIR)"
}

start() {
    if (($# == 0)) || [[ ! "$1" =~ ^[1-9][0-9]*$ ]]; then
        echo "cluster.sh: start needs a node count N >= 1" >&2
        usage
    fi
    local count="$1"
    shift
    parse_options "--dir --prefix --subnet" "$@"
    need_root
    ((count <= 250)) || die "at most 250 hosts (10.X.0.1..250)"
    [[ -z "$(our_namespaces)" ]] || die "namespaces $PREFIX-* already exist (a cluster runs in $DIR, or one with --prefix $PREFIX): 'cluster.sh stop --dir $DIR' first"
    ! ip link show "$(root_veth)" >/dev/null 2>&1 || die "the veth $(root_veth) already exists: 'cluster.sh stop --dir $DIR' first, or choose another --prefix"
    mkdir -p "$DIR"
    resolve_command
    rm -f "$DIR"/host*.pid "$DIR"/host*.log "$DIR/cluster.env"

    # From here on, a failure removes whatever was made.
    trap 'echo "cluster.sh: start failed; cleaning up" >&2; teardown >&2' EXIT
    mkdir -p "$(dirname "$LOCK")"
    exec 9>"$LOCK"
    flock 9
    create_topology "$count"
    flock -u 9
    exec 9>&-
    cat >"$DIR/cluster.env" <<ENV
ORCHESTRATOR_API=http://$(address 1):$API_PORT
CLUSTER_NODES=$count
NETNS_PREFIX=$PREFIX
NETNS_SUBNET=$SUBNET
ENV

    # The fleet's journal (SQLite) lives in DIR, shared by the nodes (namespaces share the file
    # system). A new cluster has no VMs: the last one's journal is set aside.
    local data_dir="${ORCHESTRATOR__DATADIR:-$DIR}"
    if [[ -f "$data_dir/fleet.db" ]]; then
        mv -f "$data_dir/fleet.db" "$data_dir/fleet.db.previous"
        rm -f "$data_dir/fleet.db-wal" "$data_dir/fleet.db-shm"
        echo "the previous cluster's fleet journal is now $data_dir/fleet.db.previous"
    fi

    local k seed
    seed="$(address 1):$REMOTING_PORT"
    for ((k = 1; k <= count; k++)); do
        local name="host$k"
        local capacity_var="CAPACITY_$k"
        local node_command=("${ORCHESTRATOR[@]}" node --name "$name" --hostname "$(address "$k")" --port "$REMOTING_PORT"
            --seed "$seed" --api "http://$(address "$k"):$API_PORT" --capacity "${!capacity_var:-${CAPACITY:-8GiB}}" --data-dir "$data_dir")
        echo "starting $name in namespace $(host_ns "$k"): ${node_command[*]}"
        # setsid: a Ctrl-C in this terminal later must not reach the nodes. The inner shell writes its
        # own pid (then becomes the node with exec). The environment, ORCHESTRATOR__* included, goes on.
        # shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's
        setsid ip netns exec "$(host_ns "$k")" bash -c 'echo $$ >"$0"; exec "$@"' "$DIR/$name.pid" "${node_command[@]}" \
            >"$DIR/$name.log" 2>&1 </dev/null &
    done

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
                exit 1 # the trap stops the nodes and removes the namespaces
            fi
            sleep 0.5
        done
        echo "$name up in $(host_ns "$k"): remoting $(address "$k"):$REMOTING_PORT, API http://$(address "$k"):$API_PORT"
    done
    trap - EXIT
    echo "cluster of $count up on 10.$SUBNET.0.0/24; to use it: set -a; . $DIR/cluster.env; set +a   (or: orchestrator hosts --api http://$(address 1):$API_PORT)"
}

stop() {
    parse_options "--dir --prefix" "$@"
    need_root
    teardown
}

# Exit 0 when every node runs, 3 when some or all do not (as systemctl status).
status() {
    parse_options "--dir" "$@"
    need_root
    local files
    mapfile -t files < <(pid_files)
    if ((${#files[@]} == 0)) || [[ ! -f "$DIR/cluster.env" ]]; then
        echo "no cluster in $DIR"
        exit 3
    fi
    NODES="$(sed -n 's/^CLUSTER_NODES=//p' "$DIR/cluster.env")"
    SUBNET="$(sed -n 's/^NETNS_SUBNET=//p' "$DIR/cluster.env")"
    local file name pid running=0 total=0 state ns faults
    for file in "${files[@]}"; do
        name="$(basename "$file" .pid)"
        ns="$PREFIX-$name"
        pid="$(node_pid "$file")"
        total=$((total + 1))
        if [[ -n "$pid" ]]; then
            running=$((running + 1))
            state="running (pid $pid)"
            grep -E '^node ' "$DIR/$name.log" 2>/dev/null | grep -q ' up' || state="$state, not up yet"
        else
            state="stopped"
        fi
        faults=""
        if ns_exists "$ns"; then
            faults="$(ip -n "$ns" route show type blackhole | awk -v s="10.$SUBNET.0." '$1 ~ s {sub(s, "host", $1); printf " partitioned from %s;", $1}')"
            faults+="$(tc -n "$ns" class show dev eth0 2>/dev/null | awk '/class htb 1:1[0-9a-f][0-9a-f] / {printf " shaped link (%s);", $0}')"
        fi
        echo "$name  $state  $(address "${name#host}")  log $DIR/$name.log${faults}"
    done
    grep -s '^ORCHESTRATOR_API=' "$DIR/cluster.env" || true
    ((running == total)) || exit 3
}

# The two hosts of a fault command and the rest of its arguments.
pair() {
    (($# >= 2)) || { echo "cluster.sh: $SUBCOMMAND needs two hosts, e.g. $SUBCOMMAND 1 2" >&2; usage; }
    A_ARG="$1"
    B_ARG="$2"
}

partition() {
    pair "$@"
    shift 2
    parse_options "--dir" "$@"
    need_root
    load_env
    local a b
    a="$(host_number "$A_ARG")"
    b="$(host_number "$B_ARG")"
    ((a != b)) || die "a host cannot be partitioned from itself"
    # Each side discards what it sends to the other: nothing crosses, both ways.
    ip -n "$(host_ns "$a")" route replace blackhole "$(address "$b")/32"
    ip -n "$(host_ns "$b")" route replace blackhole "$(address "$a")/32"
    echo "host$a and host$b are partitioned (heal with: cluster.sh heal $a $b --dir $DIR)"
}

heal() {
    pair "$@"
    shift 2
    parse_options "--dir" "$@"
    need_root
    load_env
    local a b
    a="$(host_number "$A_ARG")"
    b="$(host_number "$B_ARG")"
    ip -n "$(host_ns "$a")" route del blackhole "$(address "$b")/32" 2>/dev/null || true
    ip -n "$(host_ns "$b")" route del blackhole "$(address "$a")/32" 2>/dev/null || true
    echo "host$a and host$b reach each other again"
}

netem_available() {
    local probe="$PREFIX-probe"
    ip netns add "$probe" 2>/dev/null || return 1
    local ok=1
    ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null &&
        tc -n "$probe" qdisc add dev p0 root netem delay 1ms 2>/dev/null && ok=0
    ip netns del "$probe"
    return $ok
}

# On SIDE's eth0, traffic to PEER goes through htb class 1:1PP (rate) with a netem leaf (delay, loss).
shape() {
    local side="$1" peer="$2" ns class pref
    ns="$(host_ns "$side")"
    class="1:$(printf '%x' $((0x100 + peer)))"
    pref=$((100 + peer))
    unshape "$side" "$peer"
    if ! tc -n "$ns" qdisc show dev eth0 | grep -q '^qdisc htb 1: root'; then
        tc -n "$ns" qdisc replace dev eth0 root handle 1: htb default 1
        tc -n "$ns" class add dev eth0 parent 1: classid 1:1 htb rate 40gbit quantum 60000
    fi
    tc -n "$ns" class add dev eth0 parent 1: classid "$class" htb rate "${RATE:-40gbit}" quantum 60000
    if [[ -n "$DELAY" || -n "$LOSS" ]]; then
        local netem=(netem limit 100000)
        [[ -z "$DELAY" ]] || netem+=(delay "$DELAY")
        [[ -z "$LOSS" ]] || netem+=(loss "$LOSS")
        tc -n "$ns" qdisc add dev eth0 parent "$class" "${netem[@]}"
    fi
    tc -n "$ns" filter add dev eth0 parent 1: protocol ip pref "$pref" u32 match ip dst "$(address "$peer")/32" flowid "$class"
}

unshape() {
    local side="$1" peer="$2" ns class
    ns="$(host_ns "$side")"
    class="1:$(printf '%x' $((0x100 + peer)))"
    tc -n "$ns" filter del dev eth0 parent 1: pref $((100 + peer)) 2>/dev/null || true
    tc -n "$ns" class del dev eth0 classid "$class" 2>/dev/null || true
}

slow_link() {
    pair "$@"
    shift 2
    parse_options "--dir --rate --delay --loss" "$@"
    need_root
    load_env
    local a b
    a="$(host_number "$A_ARG")"
    b="$(host_number "$B_ARG")"
    ((a != b)) || die "a link needs two different hosts"
    [[ -n "$RATE$DELAY$LOSS" ]] || die "slow-link needs at least one of --rate (e.g. 20mbit), --delay (e.g. 50ms), --loss (e.g. 1%)"
    [[ -z "$RATE" || "$RATE" =~ ^[0-9.]+([kmg]?bit|[kmg]?bps)$ ]] || die "invalid --rate '$RATE': e.g. 20mbit, 500kbit, 1gbit"
    [[ -z "$DELAY" || "$DELAY" =~ ^[0-9.]+(us|ms|s)$ ]] || die "invalid --delay '$DELAY': e.g. 50ms"
    [[ -z "$LOSS" || "$LOSS" =~ ^[0-9.]+%$ ]] || die "invalid --loss '$LOSS': e.g. 1%"
    if [[ -n "$DELAY$LOSS" ]] && ! netem_available; then
        die "--delay and --loss need the netem qdisc, which this kernel does not have (modprobe sch_netem, or a kernel with CONFIG_NET_SCH_NETEM); --rate alone works without it"
    fi
    shape "$a" "$b"
    shape "$b" "$a"
    echo "link host$a <-> host$b: rate ${RATE:-unlimited}, delay ${DELAY:-0}, loss ${LOSS:-0%} each way (undo with: cluster.sh clear-link $a $b --dir $DIR)"
}

clear_link() {
    pair "$@"
    shift 2
    parse_options "--dir" "$@"
    need_root
    load_env
    local a b
    a="$(host_number "$A_ARG")"
    b="$(host_number "$B_ARG")"
    unshape "$a" "$b"
    unshape "$b" "$a"
    echo "link host$a <-> host$b is at full speed again"
}

kill_node() {
    (($# >= 1)) || { echo "cluster.sh: kill needs a host, e.g. kill 2" >&2; usage; }
    local arg="$1"
    shift
    parse_options "--dir" "$@"
    need_root
    load_env
    local k pid
    k="$(host_number "$arg")"
    pid="$(node_pid "$DIR/host$k.pid")"
    [[ -n "$pid" ]] || die "host$k is not running"
    kill -KILL "$pid"
    echo "host$k (pid $pid) killed"
}

(($# >= 1)) || usage
SUBCOMMAND="$1"
shift
case "$SUBCOMMAND" in
    start) start "$@" ;;
    stop) stop "$@" ;;
    status) status "$@" ;;
    partition) partition "$@" ;;
    heal) heal "$@" ;;
    slow-link) slow_link "$@" ;;
    clear-link) clear_link "$@" ;;
    kill) kill_node "$@" ;;
    -h | --help | help) usage 0 ;;
    *) echo "cluster.sh: unknown command '$SUBCOMMAND'" >&2; usage ;;
esac
