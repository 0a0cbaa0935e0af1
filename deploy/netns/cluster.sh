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
#   cluster.sh link-faults [--prefix NAME]     what slow-link can do here: 'rate yes', 'delay no WHY', ...
#
# Topology: namespace PREFIX-hub holds a bridge; namespace PREFIX-hostK holds hostK's node with
# eth0 = 10.X.0.K/24 on that bridge (remoting on port 4053, the API on http://10.X.0.K:8080); the
# root namespace joins the bridge as 10.X.0.254 (veth PREFIX-rt), so the CLI and tests reach every
# node's API. Faults act on the hosts' eth0: a partition is a blackhole route each way, a slow link
# an htb class (rate) with a netem leaf (delay, loss) for the peer's address; where the kernel has no
# netem, loss is an nftables rule that drops that share of the packets to the peer (delay needs netem).
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
HTB=no
NETEM=no
NFT=no
REMOTING_PORT=4053
API_PORT=8080
START_TIMEOUT="${START_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
LOCK=/run/lock/orchestrator-netns.lock

SCRIPT="${BASH_SOURCE[0]}"
USAGE_LINES='6,14'
# shellcheck source=SCRIPTDIR/../lib/nodes.sh
. "$ROOT/deploy/lib/nodes.sh"

need_root() {
    ((EUID == 0)) || die "network namespaces need root: run it as root (e.g. with sudo), or use deploy/local/cluster.sh for a cluster on 127.0.0.1"
    command -v ip >/dev/null || die "'ip' (iproute2) not found: install iproute2"
    ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here (no network namespace support?)"
}

set_option() {
    case "$1" in
        --dir) DIR="$2" ;;
        --prefix) PREFIX="$2" ;;
        --subnet) SUBNET="$2" ;;
        --rate) RATE="$2" ;;
        --delay) DELAY="$2" ;;
        --loss) LOSS="$2" ;;
    esac
}

# After parse_options: the namespaces' prefix and the subnet, checked.
settle_options() {
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

# Options, then the settings they decide; $1 lists those the subcommand takes.
options() {
    parse_options "$@"
    settle_options
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

# Only a node in our namespace counts (the command line alone does not tell clusters apart).
node_is_ours() {
    [[ "$(ip netns identify "$1" 2>/dev/null)" == "$PREFIX-$2" ]]
}

describe_up() {
    echo "host$1 up in $(host_ns "$1"): remoting $(address "$1"):$REMOTING_PORT, API http://$(address "$1"):$API_PORT"
}

# A node's address, its log and the faults on its link.
describe_node() {
    local name="$1" ns="$PREFIX-$1" faults=""
    if ns_exists "$ns"; then
        # 'blackhole 10.X.0.K' routes are partitions; htb classes 1:1PP (PP the peer, in hex) shaped links.
        faults="$(ip -n "$ns" route show type blackhole | awk -v s="10.$SUBNET.0." '$2 ~ s {sub(s, "host", $2); printf " partitioned from %s;", $2}')"
        local class peer rate
        while read -r class rate; do
            peer=$((0x${class#1:1}))
            faults+=" link to host$peer shaped to $rate;"
        done < <(tc -n "$ns" class show dev eth0 2>/dev/null | awk '$3 ~ /^1:1[0-9a-f][0-9a-f]$/ {for (i = 1; i < NF; i++) if ($i == "rate" && $(i + 1) != "40Gbit") print $3, $(i + 1)}')
        local parent what
        while read -r parent what; do
            faults+=" link to host$((0x${parent#1:1})) through netem ($what);"
        done < <(tc -n "$ns" qdisc show dev eth0 2>/dev/null | awk '$2 == "netem" {for (i = 1; i < NF; i++) if ($i == "parent") p = $(i + 1); sub(/.*limit [0-9]+ */, ""); print p, $0}')
        if command -v nft >/dev/null; then
            local table dropped
            for table in $(ip netns exec "$ns" nft list tables ip 2>/dev/null | awk '$3 ~ /^orc_loss_[0-9]+$/ {print $3}'); do
                dropped="$(ip netns exec "$ns" nft list table ip "$table" | awk '/counter packets/ {for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1)}')"
                faults+=" link to host${table#orc_loss_} drops packets at random (${dropped:-0} so far);"
            done
        fi
    fi
    echo "  $(address "${name#host}")  log $DIR/$name.log${faults}"
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
    local pid pids ns
    mapfile -t pids < <(running_nodes)
    for ns in $(our_namespaces); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            [[ " ${pids[*]} " == *" $pid "* ]] || pids+=("$pid")
        done
    done
    terminate "${pids[@]}"
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
    options "--dir --prefix --subnet" "$@"
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

    # The fleet's journal in DIR is shared by the nodes: namespaces share the file system.
    local data_dir="${ORCHESTRATOR__DATADIR:-$DIR}"
    set_aside_journal "$data_dir"

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

    wait_until_up "$count" || exit 1 # the trap stops the nodes and removes the namespaces
    trap - EXIT
    echo "cluster of $count up on 10.$SUBNET.0.0/24; to use it: set -a; . $DIR/cluster.env; set +a   (or: orchestrator hosts --api http://$(address 1):$API_PORT)"
}

stop() {
    options "--dir --prefix" "$@"
    need_root
    teardown
}

# Exit 0 when every node runs, 3 when some or all do not (as systemctl status).
status() {
    options "--dir" "$@"
    need_root
    if [[ -z "$(pid_files)" || ! -f "$DIR/cluster.env" ]]; then
        echo "no cluster in $DIR"
        exit 3
    fi
    NODES="$(sed -n 's/^CLUSTER_NODES=//p' "$DIR/cluster.env")"
    SUBNET="$(sed -n 's/^NETNS_SUBNET=//p' "$DIR/cluster.env")"
    node_status
}

# A fault command's two hosts, then its options ($1 lists them), on a running cluster: sets A and B.
pair() {
    local allowed="$1"
    shift
    (($# >= 2)) || { echo "cluster.sh: $SUBCOMMAND needs two hosts, e.g. $SUBCOMMAND 1 2" >&2; usage; }
    local a_arg="$1" b_arg="$2"
    shift 2
    options "$allowed" "$@"
    need_root
    load_env
    A="$(host_number "$a_arg")"
    B="$(host_number "$b_arg")"
}

partition() {
    pair "--dir" "$@"
    local a="$A" b="$B"
    ((a != b)) || die "a host cannot be partitioned from itself"
    # Each side discards what it sends to the other: nothing crosses, both ways.
    ip -n "$(host_ns "$a")" route replace blackhole "$(address "$b")/32"
    ip -n "$(host_ns "$b")" route replace blackhole "$(address "$a")/32"
    echo "host$a and host$b are partitioned (heal with: cluster.sh heal $a $b --dir $DIR)"
}

heal() {
    pair "--dir" "$@"
    local a="$A" b="$B"
    ip -n "$(host_ns "$a")" route del blackhole "$(address "$b")/32" 2>/dev/null || true
    ip -n "$(host_ns "$b")" route del blackhole "$(address "$a")/32" 2>/dev/null || true
    echo "host$a and host$b reach each other again"
}

# What this machine can shape a link with, tried on a veth in a namespace of its own: sets HTB and
# NETEM (the qdiscs) and NFT (the nft program) to yes or no. slow-link and link-faults both use it.
probe_link_tools() {
    HTB=no NETEM=no NFT=no
    if command -v nft >/dev/null; then NFT=yes; fi
    command -v tc >/dev/null || return 0
    local probe="$PREFIX-probe"
    ip netns add "$probe" 2>/dev/null || return 0
    if ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
        if tc -n "$probe" qdisc add dev p0 root handle 1: htb default 1 2>/dev/null; then HTB=yes; fi
        tc -n "$probe" qdisc del dev p0 root 2>/dev/null || true
        if tc -n "$probe" qdisc add dev p0 root netem delay 1ms 2>/dev/null; then NETEM=yes; fi
    fi
    ip netns del "$probe"
}

# After probe_link_tools: why slow-link cannot give FAULT (rate, delay or loss) here and how to get
# it; nothing when it can. Every shaped link is an htb class, so each needs htb.
link_fault_missing() {
    if [[ "$HTB" != yes ]]; then
        echo "--$1 needs tc and the htb qdisc, which this machine does not have (install iproute2; modprobe sch_htb, or a kernel with CONFIG_NET_SCH_HTB)"
    elif [[ "$1" == delay && "$NETEM" != yes ]]; then
        echo "--delay needs the netem qdisc, which this kernel does not have (modprobe sch_netem, or a kernel with CONFIG_NET_SCH_NETEM); --rate and --loss work without it"
    elif [[ "$1" == loss && "$NETEM" != yes && "$NFT" != yes ]]; then
        echo "--loss needs the netem qdisc or nftables, and this machine has neither: install nftables (apt-get install nftables) or load sch_netem (modprobe sch_netem)"
    fi
}

# One line per link fault: 'rate yes', or 'delay no WHY', so a drill can refuse a step it cannot play
# before it starts anything.
link_faults() {
    options "--prefix" "$@"
    need_root
    probe_link_tools
    local fault why
    for fault in rate delay loss; do
        why="$(link_fault_missing "$fault")"
        if [[ -z "$why" ]]; then echo "$fault yes"; else echo "$fault no $why"; fi
    done
}

# On SIDE's eth0, traffic to PEER goes through htb class 1:1PP (rate) with a netem leaf (delay, loss).
# Without netem, loss is an nftables rule in SIDE's namespace (table ip orc_loss_PP) that drops that
# share of the packets to PEER at random, and delay cannot be had.
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
    if [[ "$NETEM" == yes && ( -n "$DELAY" || -n "$LOSS" ) ]]; then
        local netem=(netem limit 100000)
        [[ -z "$DELAY" ]] || netem+=(delay "$DELAY")
        [[ -z "$LOSS" ]] || netem+=(loss "$LOSS")
        tc -n "$ns" qdisc add dev eth0 parent "$class" "${netem[@]}"
    elif [[ -n "$LOSS" ]]; then
        local table="orc_loss_$peer"
        ip netns exec "$ns" nft add table ip "$table"
        ip netns exec "$ns" nft add chain ip "$table" out '{ type filter hook output priority 0; policy accept; }'
        ip netns exec "$ns" nft add rule ip "$table" out ip daddr "$(address "$peer")" numgen random mod 10000 '<' "$(per_10000 "$LOSS")" counter drop
    fi
    tc -n "$ns" filter add dev eth0 parent 1: protocol ip pref "$pref" u32 match ip dst "$(address "$peer")/32" flowid "$class"
}

unshape() {
    local side="$1" peer="$2" ns class
    ns="$(host_ns "$side")"
    class="1:$(printf '%x' $((0x100 + peer)))"
    tc -n "$ns" filter del dev eth0 parent 1: pref $((100 + peer)) 2>/dev/null || true
    tc -n "$ns" class del dev eth0 classid "$class" 2>/dev/null || true
    if command -v nft >/dev/null; then
        ip netns exec "$ns" nft delete table ip "orc_loss_$peer" 2>/dev/null || true
    fi
}

# '1.5%' -> 150: nftables draws a number in 0..9999 per packet.
per_10000() {
    awk -v p="${1%\%}" 'BEGIN { printf "%d", p * 100 + 0.5 }'
}

slow_link() {
    pair "--dir --rate --delay --loss" "$@"
    local a="$A" b="$B"
    ((a != b)) || die "a link needs two different hosts"
    [[ -n "$RATE$DELAY$LOSS" ]] || die "slow-link needs at least one of --rate (e.g. 20mbit), --delay (e.g. 50ms), --loss (e.g. 1%)"
    [[ -z "$RATE" || "$RATE" =~ ^[0-9.]+([kmg]?bit|[kmg]?bps)$ ]] || die "invalid --rate '$RATE': e.g. 20mbit, 500kbit, 1gbit"
    [[ -z "$DELAY" || "$DELAY" =~ ^[0-9.]+(us|ms|s)$ ]] || die "invalid --delay '$DELAY': e.g. 50ms"
    [[ -z "$LOSS" || ( "$LOSS" =~ ^[0-9]+(\.[0-9]+)?%$ && "$(per_10000 "$LOSS")" -le 10000 ) ]] || die "invalid --loss '$LOSS': a percentage from 0% to 100%, e.g. 1%"
    probe_link_tools
    local fault why
    for fault in rate delay loss; do
        local given="${fault^^}"
        [[ -z "${!given}" ]] || { why="$(link_fault_missing "$fault")"; [[ -z "$why" ]] || die "$why"; }
    done
    shape "$a" "$b"
    shape "$b" "$a"
    echo "link host$a <-> host$b: rate ${RATE:-unlimited}, delay ${DELAY:-0}, loss ${LOSS:-0%} each way (undo with: cluster.sh clear-link $a $b --dir $DIR)"
}

clear_link() {
    pair "--dir" "$@"
    local a="$A" b="$B"
    unshape "$a" "$b"
    unshape "$b" "$a"
    echo "link host$a <-> host$b is at full speed again"
}

kill_node() {
    (($# >= 1)) || { echo "cluster.sh: kill needs a host, e.g. kill 2" >&2; usage; }
    local arg="$1"
    shift
    options "--dir" "$@"
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
    link-faults) link_faults "$@" ;;
    -h | --help | help) usage 0 ;;
    *) echo "cluster.sh: unknown command '$SUBCOMMAND'" >&2; usage ;;
esac
