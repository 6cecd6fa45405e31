# Shell library (source it) to run strongSwan charon instances inside network namespaces for tests.
# shellcheck shell=bash
#
# Each charon instance lives in a directory DIR of its own:
#   DIR/strongswan.conf   written by cns_write_strongswan_conf
#   DIR/swanctl.conf      written by the caller
#   DIR/run/              bind-mounted over /run in a private mount namespace, so charon's fixed
#                         /run/charon.pid does not clash with another charon (or the host's)
#   DIR/charon.vici       the vici socket (set explicitly in strongswan.conf)
#   DIR/charon.log        the file logger's output
#   DIR/charon.out        charon's stdout/stderr
#   DIR/ns, DIR/pid       the namespace it runs in and its pid (same pid as `ip netns exec`, which execs)
#
# Only TEST-NET addresses are meant to be used (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).
# Everything created is registered and removed again by cns_cleanup; call it from an EXIT trap.
# Requires root, iproute2, util-linux unshare, and strongSwan (charon at CNS_CHARON, swanctl).

CNS_CHARON=${CNS_CHARON:-/usr/lib/ipsec/charon}
CNS_SWANCTL=${CNS_SWANCTL:-swanctl}
# Plugins loaded by default; charon 5.9.8 needs "kdf" for prf+ once an explicit list is given.
CNS_PLUGINS=${CNS_PLUGINS:-"random nonce openssl aes sha1 sha2 hmac gcm gmp kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-netlink socket-default vici"}

CNS_NAMESPACES=()
CNS_INSTANCES=()

cns_log() { printf '[charon_netns] %s\n' "$*" >&2; }

cns_require_root() {
  if [[ $(id -u) -ne 0 ]]; then
    cns_log "must run as root (network and mount namespaces)"
    return 1
  fi
  if [[ ! -x $CNS_CHARON ]]; then
    cns_log "charon not found at $CNS_CHARON"
    return 1
  fi
}

# cns_netns_create NS: (re)creates namespace NS with loopback up, and registers it for cleanup.
# Processes left in a namespace of that name by an earlier run that was killed are ended first.
cns_netns_create() {
  local ns=$1 pid
  if ip netns list | grep -qx "$ns\( .*\)\?"; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -TERM "$pid" 2>/dev/null || true
    done
    sleep 0.5
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
  fi
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  CNS_NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
}

# cns_netns_pair NS_A IF_A ADDR_A/PLEN NS_B IF_B ADDR_B/PLEN: two namespaces joined by a veth pair.
# The veth is created inside NS_A first, so the host's root namespace never holds an interface.
cns_netns_pair() {
  local ns_a=$1 if_a=$2 addr_a=$3 ns_b=$4 if_b=$5 addr_b=$6
  cns_netns_create "$ns_a"
  cns_netns_create "$ns_b"
  ip -n "$ns_a" link add "$if_a" type veth peer name "$if_b" netns "$ns_b"
  ip -n "$ns_a" addr add "$addr_a" dev "$if_a"
  ip -n "$ns_b" addr add "$addr_b" dev "$if_b"
  ip -n "$ns_a" link set "$if_a" up
  ip -n "$ns_b" link set "$if_b" up
  # Skip duplicate address detection delays for IPv6 addresses; harmless for IPv4.
  ip netns exec "$ns_a" sysctl -qw net.ipv6.conf.all.accept_dad=0 2>/dev/null || true
  ip netns exec "$ns_b" sysctl -qw net.ipv6.conf.all.accept_dad=0 2>/dev/null || true
}

# cns_netns_delete NS...: removes namespaces (and so their veth ends).
cns_netns_delete() {
  local ns
  for ns in "$@"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

# cns_write_strongswan_conf DIR [LOGLEVELS]: writes DIR/strongswan.conf for one instance.
# LOGLEVELS is a space separated list of "subsystem=level" for the file logger
# (default: "default=1 ike=4 enc=4 net=2 cfg=2 knl=2"). Extra text for the charon { } section may
# be passed in CNS_EXTRA_CHARON_CONF.
cns_write_strongswan_conf() {
  local dir=$1 levels=${2:-"default=1 ike=4 enc=4 net=2 cfg=2 knl=2"} lv
  mkdir -p "$dir/run"
  {
    printf 'charon {\n'
    printf '  load_modular = no\n'
    printf '  load = %s\n' "$CNS_PLUGINS"
    printf '  install_routes = no\n'
    printf '  install_virtual_ip = no\n'
    printf '  retransmit_tries = 2\n'
    printf '  retransmit_timeout = 1.0\n'
    printf '  retransmit_base = 1.4\n'
    printf '  %s\n' "${CNS_EXTRA_CHARON_CONF:-}"
    printf '  plugins {\n'
    printf '    vici {\n      socket = unix://%s/charon.vici\n    }\n' "$dir"
    printf '  }\n'
    printf '  syslog {\n    daemon {\n      default = -1\n    }\n  }\n'
    printf '  filelog {\n    main {\n'
    printf '      path = %s/charon.log\n' "$dir"
    printf '      append = no\n      flush_line = yes\n      ike_name = yes\n'
    printf '      time_format = %%H:%%M:%%S\n'
    for lv in $levels; do
      printf '      %s = %s\n' "${lv%%=*}" "${lv#*=}"
    done
    printf '    }\n  }\n'
    printf '}\n'
    # swanctl reads this file too: its own plugin list (the compiled-in one names absent plugins).
    printf 'swanctl {\n  load = pem pkcs1 pkcs8 x509 openssl random nonce\n'
    printf '  socket = unix://%s/charon.vici\n}\n' "$dir"
  } >"$dir/strongswan.conf"
}

# cns_charon_start NS DIR: starts charon in namespace NS, in a private mount namespace whose /run is
# DIR/run. Returns once the vici socket answers (see cns_wait_vici).
cns_charon_start() {
  local ns=$1 dir=$2
  [[ -f $dir/strongswan.conf ]] || { cns_log "no $dir/strongswan.conf"; return 1; }
  mkdir -p "$dir/run"
  rm -f "$dir/run/charon.pid" "$dir/charon.vici"
  # ip netns exec, unshare, sh and env all exec, so $! is charon's own pid.
  # shellcheck disable=SC2016 # $1..$3 are expanded by the inner sh
  ip netns exec "$ns" unshare --mount --propagation private -- \
    sh -c 'mount --bind "$1" /run && exec env STRONGSWAN_CONF="$2" "$3"' \
    cns-charon "$dir/run" "$dir/strongswan.conf" "$CNS_CHARON" \
    >"$dir/charon.out" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  echo "$ns" >"$dir/ns"
  CNS_INSTANCES+=("$dir")
  cns_wait_vici "$dir"
}

# cns_wait_vici DIR [TIMEOUT_S]: waits until swanctl can talk to the instance.
cns_wait_vici() {
  local dir=$1 timeout=${2:-15} i pid
  pid=$(cat "$dir/pid")
  for ((i = 0; i < timeout * 10; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      cns_log "charon in $dir exited early; its output:"
      cat "$dir/charon.out" >&2
      return 1
    fi
    if [[ -S $dir/charon.vici ]] && cns_swanctl "$dir" --stats >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  cns_log "vici socket of $dir did not answer within ${timeout}s"
  return 1
}

# cns_swanctl DIR ARGS...: runs swanctl against the instance in DIR (its vici socket and strongswan.conf).
cns_swanctl() {
  local dir=$1
  shift
  STRONGSWAN_CONF="$dir/strongswan.conf" "$CNS_SWANCTL" "$@" --uri "unix://$dir/charon.vici"
}

# cns_load_conf DIR: loads DIR/swanctl.conf (connections, secrets) into the instance.
cns_load_conf() {
  local dir=$1
  cns_swanctl "$dir" --load-all --noprompt --file "$dir/swanctl.conf"
}

# cns_charon_stop DIR: stops the instance (SIGTERM, then SIGKILL after 5 s) and waits for it.
cns_charon_stop() {
  local dir=$1 pid i
  [[ -f $dir/pid ]] || return 0
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

# cns_cleanup: stops every registered charon and deletes every registered namespace. Idempotent.
cns_cleanup() {
  local dir
  for dir in "${CNS_INSTANCES[@]}"; do
    cns_charon_stop "$dir"
  done
  CNS_INSTANCES=()
  cns_netns_delete "${CNS_NAMESPACES[@]}"
  CNS_NAMESPACES=()
}
