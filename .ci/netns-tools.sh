#!/usr/bin/env bash
# What the network-namespace tests need beyond iproute2: nftables ('nft'), for lossy links on a
# kernel without the netem qdisc (deploy/netns/cluster.sh slow-link --loss). Those tests run only
# as root, so without root there is nothing to install. Exit 0 when ready, 1 (with the reason) if not.
set -uo pipefail

say() { echo ".ci/netns-tools.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "not root: the network-namespace tests will be skipped, nothing to install"
  exit 0
fi
if command -v nft >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "no 'nft' and no apt-get: install nftables by hand, then run again"
  exit 1
fi
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nftables >&2; }
say "installing Debian's 'nftables' package with apt-get"
if ! install; then
  say "apt-get install failed; running apt-get update and trying once more"
  DEBIAN_FRONTEND=noninteractive apt-get update >&2 || { say "'apt-get update' failed; install 'nftables' by hand, then run again"; exit 1; }
  install || { say "'apt-get install nftables' failed (see apt's output above)"; exit 1; }
fi
command -v nft >/dev/null 2>&1 || { say "nftables is installed but 'nft' is not on PATH"; exit 1; }
