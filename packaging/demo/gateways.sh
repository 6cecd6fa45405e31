#!/bin/sh
# The demo scenario (POSIX sh, so it runs on the host and in the busybox test VM alike): two gateways in
# network namespaces join LAN A 198.51.100.0/24 and LAN B 203.0.113.0/24 with an ESP tunnel negotiated by
# two ipsecd daemons; a host in LAN A pings a host in LAN B through it while `ipsecctl status` shows the
# counters rising; then everything is torn down. Exits non-zero when the tunnel did not carry the traffic.
#
#   host-a 198.51.100.10 -- 198.51.100.1 gw-a 192.0.2.1 ==== 192.0.2.2 gw-b 203.0.113.1 -- 203.0.113.10 host-b
#
# Environment: IP (iproute2's ip; the VM keeps it off PATH), IPSECD and IPSECCTL (the binaries),
# DEMO_DIR (its configs), IPSECD_VM_RESULTS (set in the VM: where the result line goes).
set -eu
IP=${IP:-ip}
IPSECD=${IPSECD:-ipsecd}
IPSECCTL=${IPSECCTL:-ipsecctl}
DEMO_DIR=${DEMO_DIR:-$(cd "$(dirname "$0")" && pwd)}
run=$(mktemp -d /tmp/ipsecd-demo.XXXXXX)
namespaces="host-a gw-a gw-b host-b"

say() { printf '\n=== %s\n' "$*"; }

cleanup() {
  for gw in gw-a gw-b; do
    [ -f "$run/$gw.pid" ] && kill "$(cat "$run/$gw.pid")" 2>/dev/null || true
  done
  sleep 1
  for ns in $namespaces; do $IP netns del "$ns" 2>/dev/null || true; done
  rm -rf "$run"
}
trap cleanup EXIT INT TERM

report() {
  [ -n "${IPSECD_VM_RESULTS:-}" ] && echo "RESULT demo/tunnel $1" >>"$IPSECD_VM_RESULTS"
  return 0
}

say "network: two LANs, two gateways, one link between the gateways"
for ns in $namespaces; do
  $IP netns add "$ns"
  $IP -n "$ns" link set lo up
done
$IP link add lan-a netns host-a type veth peer name lan netns gw-a
$IP link add wan netns gw-a type veth peer name wan netns gw-b
$IP link add lan-b netns host-b type veth peer name lan netns gw-b
$IP -n host-a addr add 198.51.100.10/24 dev lan-a
$IP -n gw-a addr add 198.51.100.1/24 dev lan
$IP -n gw-a addr add 192.0.2.1/24 dev wan
$IP -n gw-b addr add 192.0.2.2/24 dev wan
$IP -n gw-b addr add 203.0.113.1/24 dev lan
$IP -n host-b addr add 203.0.113.10/24 dev lan-b
for link in host-a:lan-a gw-a:lan gw-a:wan gw-b:wan gw-b:lan host-b:lan-b; do
  $IP -n "${link%%:*}" link set "${link#*:}" up
done
$IP -n host-a route add default via 198.51.100.1
$IP -n host-b route add default via 203.0.113.1
for gw in gw-a gw-b; do
  $IP netns exec "$gw" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
done
# Each gateway routes the other LAN over the link; the tunnel's XFRM policies then take that traffic into ESP.
$IP -n gw-a route add 203.0.113.0/24 via 192.0.2.2
$IP -n gw-b route add 198.51.100.0/24 via 192.0.2.1

say "starting ipsecd on both gateways"
for gw in gw-a gw-b; do
  sed "s|@RUN@|$run|g" "$DEMO_DIR/$gw.toml" >"$run/$gw.toml"
  $IP netns exec "$gw" "$IPSECD" --foreground --config "$run/$gw.toml" >"$run/$gw.log" 2>&1 &
  echo $! >"$run/$gw.pid"
done
for gw in gw-a gw-b; do
  tries=0
  until [ -S "$run/$gw.sock" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
      cat "$run/$gw.log"
      echo "demo: ipsecd on $gw did not open its control socket" >&2
      report FAIL
      exit 1
    fi
    sleep 0.1
  done
done

say "ipsecctl up lan-to-lan --wait (on gw-a)"
if ! $IP netns exec gw-a "$IPSECCTL" --socket "$run/gw-a.sock" up lan-to-lan --wait=60; then
  cat "$run/gw-a.log" "$run/gw-b.log"
  report FAIL
  exit 1
fi

packets_in() {
  $IP netns exec gw-a "$IPSECCTL" --socket "$run/gw-a.sock" status --json |
    tr ',{' '\n\n' | sed -n 's/.*"packets_in": *\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

say "host-a pings host-b through the tunnel"
$IP netns exec host-a ping -c 5 -i 0.2 203.0.113.10
before=$(packets_in)
$IP netns exec gw-a "$IPSECCTL" --socket "$run/gw-a.sock" status

say "20 more pings"
$IP netns exec host-a ping -c 20 -i 0.1 -q 203.0.113.10
after=$(packets_in)
$IP netns exec gw-a "$IPSECCTL" --socket "$run/gw-a.sock" status

say "inbound ESP packets counted on gw-a: $before after 5 pings, $after after 25"
if [ "$after" -lt $((before + 20)) ]; then
  echo "demo: the counters did not rise by the 20 replies that came through the tunnel" >&2
  report FAIL
  exit 1
fi

say "ipsecctl down lan-to-lan --wait"
$IP netns exec gw-a "$IPSECCTL" --socket "$run/gw-a.sock" down lan-to-lan --wait=30
# Every SA counts; of the policies only in/out/fwd ones: the daemons' IKE sockets carry per-socket bypass
# policies (listed as "socket in/out") for as long as they run.
for gw in gw-a gw-b; do
  left=$($IP -n "$gw" xfrm state; $IP -n "$gw" xfrm policy | grep -E '^[[:space:]]*dir (in|out|fwd) ' || true)
  if [ -n "$left" ]; then
    echo "demo: $gw still has kernel SAs or policies after down:" >&2
    echo "$left" >&2
    report FAIL
    exit 1
  fi
done
echo "no SA and no policy left in either gateway's kernel"
report PASS
say "demo: PASS; tearing down"
