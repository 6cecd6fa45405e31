# Shell library for guest test suites of the kernel VM (busybox sh; source it from a suite).
# A suite defines one function per test, runs each with vm_test NAME FUNCTION and ends with vm_finish.
# Each test runs in a subshell with `set -e`; any failing command or `fail` makes it FAIL. Network namespaces
# and background processes it made are removed after it, so every test starts from a clean kernel state.
# shellcheck shell=dash

IP=/usr/libexec/ipsecd-vm/ip
# shellcheck disable=SC2034 # for the suites
SOCAT=/usr/libexec/ipsecd-vm/socat
VM_SUITE=${VM_SUITE:-$(basename "$0" .sh)}
VM_PIDS=/tmp/vmtest.pids
vm_passed=0
vm_failed=0

vm_result() {
  printf 'RESULT %s %s\n' "$1" "$2" >>"$IPSECD_VM_RESULTS"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
  echo "ok: $1 = $3"
}

# expect_ge WHAT MINIMUM ACTUAL
expect_ge() {
  [ "$3" -ge "$2" ] 2>/dev/null || fail "$1: expected at least $2, got '$3'"
  echo "ok: $1 = $3 (>= $2)"
}

# bg_start COMMAND...: runs COMMAND in the background; vm_test kills it after the test.
bg_start() {
  "$@" &
  echo $! >>"$VM_PIDS"
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds; fails the test on timeout.
wait_for() {
  local limit=$(($1 * 10)) i=0
  shift
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -lt "$limit" ] || fail "timed out waiting for: $*"
    sleep 0.1
  done
}

in_ns() {
  local ns=$1
  shift
  nsenter --net="/run/netns/$ns" "$@"
}

vm_cleanup() {
  local pid ns
  if [ -f "$VM_PIDS" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null; done <"$VM_PIDS"
    while read -r pid; do wait "$pid" 2>/dev/null; done <"$VM_PIDS"
    rm -f "$VM_PIDS"
  fi
  for ns in $($IP netns list | awk '{print $1}'); do
    $IP netns del "$ns"
  done
}

vm_test() {
  local name=$1 fn=$2 rc
  echo "--- $VM_SUITE/$name"
  (set -e; "$fn")
  rc=$?
  vm_cleanup
  if [ "$rc" -eq 0 ]; then
    vm_passed=$((vm_passed + 1))
    vm_result "$VM_SUITE/$name" PASS
    echo "--- $VM_SUITE/$name PASS (uptime $(cut -d" " -f1 /proc/uptime) s)"
  else
    vm_failed=$((vm_failed + 1))
    vm_result "$VM_SUITE/$name" FAIL
    echo "--- $VM_SUITE/$name FAIL (uptime $(cut -d" " -f1 /proc/uptime) s)"
  fi
}

vm_finish() {
  echo "--- $VM_SUITE: $vm_passed passed, $vm_failed failed"
  [ "$vm_failed" -eq 0 ]
}

# --- network namespaces -------------------------------------------------------------------------------

# ns_pair: namespaces "left" and "right" joined by veth-l/veth-r, 192.0.2.1/24 and 192.0.2.2/24,
# 2001:db8::1/64 and 2001:db8::2/64 (no duplicate address detection, usable at once).
ns_pair() {
  $IP netns add left
  $IP netns add right
  $IP link add veth-l netns left type veth peer name veth-r netns right
  $IP -n left addr add 192.0.2.1/24 dev veth-l
  $IP -n right addr add 192.0.2.2/24 dev veth-r
  $IP -n left addr add 2001:db8::1/64 dev veth-l nodad
  $IP -n right addr add 2001:db8::2/64 dev veth-r nodad
  local ns
  for ns in left right; do
    $IP -n "$ns" link set lo up
  done
  $IP -n left link set veth-l up
  $IP -n right link set veth-r up
}

# --- xfrm ---------------------------------------------------------------------------------------------

# sa_packets NS SRC DST PROTO SPI: the packet count of the SA's current lifetime (`ip -s xfrm state`).
sa_packets() {
  $IP -n "$1" -s xfrm state get src "$2" dst "$3" proto "$4" spi "$5" |
    awk '/lifetime current:/ { getline; sub(/^.*, */, ""); sub(/\(packets\).*$/, ""); print; exit }'
}

# expect_sa_packets NS SRC DST PROTO SPI COUNT: the SA carried exactly COUNT packets.
expect_sa_packets() {
  local n
  n=$(sa_packets "$1" "$2" "$3" "$4" "$5")
  if [ "$n" != "$6" ]; then
    $IP -n "$1" -s xfrm state >&2
    fail "$1 SA $4 $5 ($2 -> $3): expected $6 packets, got '$n'"
  fi
  echo "ok: $1 SA $4 $5 ($2 -> $3) carried $n packets"
}

# xfrm_netlink_listening NS: a NETLINK_XFRM socket in NS has joined a multicast group (a monitor is ready).
xfrm_netlink_listening() {
  in_ns "$1" cat /proc/net/netlink | awk '$2 == 6 && $4 != "00000000" { found = 1 } END { exit !found }'
}

# udp_bound NS PORT: a UDP socket in NS is bound to PORT.
udp_bound() {
  local hex
  hex=$(printf ':%04X ' "$2")
  in_ns "$1" cat /proc/net/udp | grep -q "$hex"
}

# udp_in_datagrams NS: the Udp InDatagrams counter of NS (/proc/net/snmp).
udp_in_datagrams() {
  in_ns "$1" cat /proc/net/snmp | awk '
    $1 == "Udp:" && !header { for (i = 2; i <= NF; i++) col[$i] = i; header = 1; next }
    $1 == "Udp:" && header { print $col["InDatagrams"]; exit }'
}
