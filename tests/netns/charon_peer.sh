#!/bin/bash
# Runs one strongSwan charon as an IKE peer for test_engine_charon: start, swanctl, stop (root).
#
#   charon_peer.sh start DIR NS_OURS NS_CHARON   namespaces joined by veth (192.0.2.1/24 in NS_OURS,
#                                                192.0.2.2/24 in NS_CHARON), charon in NS_CHARON with
#                                                DIR/swanctl.conf and the credentials in DIR/x509,
#                                                DIR/private and DIR/x509ca loaded
#   charon_peer.sh swanctl DIR ARGS...           swanctl against that charon
#   charon_peer.sh stop DIR NS...                stops charon, deletes the namespaces (idempotent)
#
# Each call is a separate shell, so `stop` finds charon through DIR/pid rather than charon_netns.sh's arrays.
set -euo pipefail

# shellcheck source=../lib/charon_netns.sh
source "$(dirname "$0")/../lib/charon_netns.sh"

command=${1:?usage: charon_peer.sh start|swanctl|stop DIR ...}
dir=${2:?missing DIR}
shift 2
# swanctl --load-all reads credentials from $SWANCTL_DIR/{x509,x509ca,private,...}: this instance's own.
export SWANCTL_DIR=$dir

case $command in
  start)
    ns_ours=$1 ns_charon=$2
    cns_require_root
    # Undo everything on any failure: the caller sees the exit status and the log.
    trap 'cns_cleanup' ERR
    cns_netns_pair "$ns_ours" ec-a 192.0.2.1/24 "$ns_charon" ec-b 192.0.2.2/24
    # Enough to read what happened (notifies, kernel failures) without the key and packet dumps.
    cns_write_strongswan_conf "$dir" "default=1 ike=2 knl=2 cfg=2 chd=2 net=1 enc=1"
    cns_charon_start "$ns_charon" "$dir"
    cns_load_conf "$dir" >"$dir/load.out" 2>&1 || { cat "$dir/load.out" >&2; false; }
    ;;
  swanctl)
    cns_swanctl "$dir" "$@"
    ;;
  stop)
    cns_charon_stop "$dir"
    cns_netns_delete "$@"
    ;;
  *)
    cns_log "unknown command $command"
    exit 2
    ;;
esac
