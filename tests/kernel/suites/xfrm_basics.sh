#!/bin/sh
# Guest suite proving the VM kernel does real IPsec: ESP (AEAD and cipher+integrity, transport and tunnel),
# AH, an ESP+AH bundle, ESP in UDP (RFC 3948) and IPv6 ESP between two namespaces, each checked by a ping
# that must pass and by exact SA packet counters; then ACQUIRE from a trap policy and soft/hard EXPIRE events.
# All keys are fixed test keys. Runs inside tests/kernel/run_vm.sh.
# shellcheck shell=dash
. /usr/libexec/ipsecd-vm/vmtest.sh

A=192.0.2.1
B=192.0.2.2
A6=2001:db8::1
B6=2001:db8::2
SPI_AB=0x00001001
SPI_BA=0x00001002
PINGS=3
GCM='aead rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff01020304 128'
CBC_SHA256='enc cbc(aes) 0x00112233445566778899aabbccddeeff auth-trunc hmac(sha256) 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 128'
AH_SHA256='auth-trunc hmac(sha256) 0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f 128'

# states_both SRC DST PROTO ARGS...: the SA pair SRC->DST (SPI_AB) and DST->SRC (SPI_BA) in both namespaces.
states_both() {
  local src=$1 dst=$2 proto=$3 ns
  shift 3
  for ns in left right; do
    $IP -n "$ns" xfrm state add src "$src" dst "$dst" proto "$proto" spi $SPI_AB "$@"
    $IP -n "$ns" xfrm state add src "$dst" dst "$src" proto "$proto" spi $SPI_BA "$@"
  done
}

# tmpls SRC DST MODE PROTO...: one template per PROTO, applied in the order given.
tmpls() {
  local src=$1 dst=$2 mode=$3 proto
  shift 3
  for proto in "$@"; do
    printf 'tmpl src %s dst %s proto %s mode %s ' "$src" "$dst" "$proto" "$mode"
  done
}

# policies_both SEL_L SEL_R MODE PROTO...: out/in policies on both sides. SEL_L and SEL_R are the traffic
# selectors of left and right (host or subnet), SEL_UPPER (if set) their upper-layer part ("proto 1"); the
# outer addresses are always the veth ones.
SEL_UPPER=
policies_both() {
  local sel_l=$1 sel_r=$2 mode=$3 outer_l=$A outer_r=$B
  shift 3
  case $sel_l in *:*) outer_l=$A6 outer_r=$B6 ;; esac
  # shellcheck disable=SC2046
  {
    $IP -n left xfrm policy add src "$sel_l" dst "$sel_r" $SEL_UPPER dir out $(tmpls $outer_l $outer_r "$mode" "$@")
    $IP -n left xfrm policy add src "$sel_r" dst "$sel_l" $SEL_UPPER dir in $(tmpls $outer_r $outer_l "$mode" "$@")
    $IP -n right xfrm policy add src "$sel_r" dst "$sel_l" $SEL_UPPER dir out $(tmpls $outer_r $outer_l "$mode" "$@")
    $IP -n right xfrm policy add src "$sel_l" dst "$sel_r" $SEL_UPPER dir in $(tmpls $outer_l $outer_r "$mode" "$@")
  }
}

# ping_ok NS DST [ARGS...]: exactly PINGS echo requests, 0.2 s apart, every one answered. Not -A: busybox
# keeps its interval timer with -A and sends more requests than -c when a reply is slow (the first IPv6 one
# waits about 1 s for neighbour discovery), which would break the exact counts.
ping_ok() {
  local ns=$1 dst=$2 out
  shift 2
  out=$(in_ns "$ns" ping -c $PINGS -i 0.2 -W 5 "$@" "$dst" 2>&1) || { echo "$out" >&2; fail "ping $dst from $ns"; }
  echo "$out" | grep -q "^$PINGS packets transmitted, $PINGS packets received" ||
    { echo "$out" >&2; fail "ping $dst from $ns: not $PINGS of $PINGS answered"; }
  echo "ok: $PINGS of $PINGS pings $ns -> $dst answered"
}

# expect_pair_counted PROTO SRC DST: both SAs carried exactly PINGS packets (the requests one way, the
# replies the other) on both sides.
expect_pair_counted() {
  local proto=$1 src=$2 dst=$3 ns
  for ns in left right; do
    expect_sa_packets "$ns" "$src" "$dst" "$proto" $SPI_AB $PINGS
    expect_sa_packets "$ns" "$dst" "$src" "$proto" $SPI_BA $PINGS
  done
}

test_esp_kernel() {
  local m
  for m in xfrm_user esp4 ah4 esp6 ah6 xfrm_interface veth; do
    modprobe "$m" || fail "modprobe $m"
  done
  for m in xfrm_user esp4 ah4 esp6 ah6; do
    grep -q "^$m " /proc/modules || fail "$m not loaded"
  done
  [ -r /proc/net/xfrm_stat ] || fail "no /proc/net/xfrm_stat"
  echo "ok: $(uname -r) has xfrm_user, esp4, ah4, esp6, ah6"
}

test_esp_transport_gcm() {
  ns_pair
  # shellcheck disable=SC2086
  states_both $A $B esp mode transport $GCM
  policies_both $A/32 $B/32 transport esp
  ping_ok left $B
  expect_pair_counted esp $A $B
  grep -q 'rfc4106(gcm(aes))' /proc/crypto || fail "rfc4106(gcm(aes)) not instantiated"
}

test_esp_transport_cbc_sha256() {
  ns_pair
  # shellcheck disable=SC2086
  states_both $A $B esp mode transport $CBC_SHA256
  policies_both $A/32 $B/32 transport esp
  ping_ok left $B
  expect_pair_counted esp $A $B
}

test_esp_tunnel() {
  ns_pair
  $IP -n left addr add 198.51.100.1/32 dev lo
  $IP -n right addr add 203.0.113.1/32 dev lo
  $IP -n left route add 203.0.113.0/24 via $B src 198.51.100.1
  $IP -n right route add 198.51.100.0/24 via $A src 203.0.113.1
  # shellcheck disable=SC2086
  states_both $A $B esp mode tunnel $GCM
  policies_both 198.51.100.0/24 203.0.113.0/24 tunnel esp
  ping_ok left 203.0.113.1
  expect_pair_counted esp $A $B
}

test_ah_transport() {
  ns_pair
  # shellcheck disable=SC2086
  states_both $A $B ah mode transport $AH_SHA256
  policies_both $A/32 $B/32 transport ah
  ping_ok left $B
  expect_pair_counted ah $A $B
}

test_esp_ah_bundle() {
  ns_pair
  # shellcheck disable=SC2086
  states_both $A $B esp mode transport $CBC_SHA256
  # shellcheck disable=SC2086
  states_both $A $B ah mode transport $AH_SHA256
  policies_both $A/32 $B/32 transport esp ah
  ping_ok left $B
  expect_pair_counted esp $A $B
  expect_pair_counted ah $A $B
}

test_esp_in_udp() {
  ns_pair
  # RFC 3948 decapsulation needs a UDP socket with UDP_ENCAP = UDP_ENCAP_ESPINUDP (SOL_UDP 17,
  # UDP_ENCAP 100, value 2 as a little-endian int) bound to the port; an IKE daemon holds it, here socat
  # does (its setsockopt-int is silently ignored for UDP4-RECVFROM, setsockopt-listen is applied).
  local ns before_l before_r
  for ns in left right; do
    bg_start in_ns "$ns" $SOCAT -u UDP4-RECVFROM:4500,setsockopt-listen=17:100:x02000000 OPEN:/dev/null
    wait_for 5 udp_bound "$ns" 4500
  done
  # shellcheck disable=SC2086
  states_both $A $B esp mode transport $GCM encap espinudp 4500 4500 0.0.0.0
  # The kernel checks the inbound policy on the UDP datagram itself before decapsulating it
  # (udp_queue_rcv_one_skb), so a policy covering UDP would drop it: IKE daemons give their socket a bypass
  # policy, here the policies cover ICMP (protocol 1) only.
  SEL_UPPER="proto 1"
  policies_both $A/32 $B/32 transport esp
  before_l=$(udp_in_datagrams left)
  before_r=$(udp_in_datagrams right)
  ping_ok left $B
  expect_pair_counted esp $A $B
  # Each ESP packet arrived as a UDP datagram on port 4500.
  expect_eq "UDP datagrams into right" $PINGS $(($(udp_in_datagrams right) - before_r))
  expect_eq "UDP datagrams into left" $PINGS $(($(udp_in_datagrams left) - before_l))
}

test_esp6_transport_gcm() {
  ns_pair
  # shellcheck disable=SC2086
  states_both $A6 $B6 esp mode transport $GCM
  # Protocol 58 is ICMPv6 (the guest has no /etc/protocols). Only echo request and reply are protected, so neighbour discovery stays in the clear and the counters
  # count the pings alone.
  local tmpl_ab tmpl_ba
  tmpl_ab=$(tmpls $A6 $B6 transport esp)
  tmpl_ba=$(tmpls $B6 $A6 transport esp)
  # shellcheck disable=SC2086
  {
    $IP -n left xfrm policy add src $A6/128 dst $B6/128 proto 58 type 128 dir out $tmpl_ab
    $IP -n left xfrm policy add src $B6/128 dst $A6/128 proto 58 type 129 dir in $tmpl_ba
    $IP -n right xfrm policy add src $A6/128 dst $B6/128 proto 58 type 128 dir in $tmpl_ab
    $IP -n right xfrm policy add src $B6/128 dst $A6/128 proto 58 type 129 dir out $tmpl_ba
  }
  ping_ok left $B6 -6
  expect_pair_counted esp $A6 $B6
}

test_acquire_from_trap_policy() {
  ns_pair
  # A policy with a template but no SA: the kernel asks the keying daemon for one (RFC 4301 §4.4.1.1 PROCESS
  # with no SA yet; XFRM_MSG_ACQUIRE).
  # shellcheck disable=SC2046
  $IP -n left xfrm policy add src $A/32 dst $B/32 dir out $(tmpls $A $B transport esp)
  bg_start sh -c "exec $IP -n left xfrm monitor acquire >/tmp/acquire.log"
  wait_for 5 xfrm_netlink_listening left
  if in_ns left ping -c 1 -W 1 $B >/dev/null 2>&1; then
    fail "ping passed without an SA"
  fi
  wait_for 5 grep -q 'acquire proto esp' /tmp/acquire.log
  cat /tmp/acquire.log
  grep -q "sel src $A/32 dst $B/32" /tmp/acquire.log || fail "ACQUIRE does not name the selector"
}

test_expire_soft_then_hard() {
  ns_pair
  bg_start sh -c "exec $IP -n left xfrm monitor expire >/tmp/expire.log"
  wait_for 5 xfrm_netlink_listening left
  # shellcheck disable=SC2086
  $IP -n left xfrm state add src $A dst $B proto esp spi $SPI_AB mode transport $GCM \
    limit time-soft 1 limit time-hard 2
  wait_for 10 grep -q 'hard 1' /tmp/expire.log
  cat /tmp/expire.log
  grep -q 'hard 0' /tmp/expire.log || fail "no soft EXPIRE before the hard one"
  [ "$(grep -n 'hard 0' /tmp/expire.log | head -n 1 | cut -d: -f1)" -lt \
    "$(grep -n 'hard 1' /tmp/expire.log | head -n 1 | cut -d: -f1)" ] || fail "soft EXPIRE after hard"
  if $IP -n left xfrm state get src $A dst $B proto esp spi $SPI_AB >/dev/null 2>&1; then
    fail "SA still present after its hard expiry"
  fi
  echo "ok: soft then hard EXPIRE, SA removed"
}

vm_test esp_kernel test_esp_kernel
vm_test esp_transport_gcm test_esp_transport_gcm
vm_test esp_transport_cbc_sha256 test_esp_transport_cbc_sha256
vm_test esp_tunnel test_esp_tunnel
vm_test ah_transport test_ah_transport
vm_test esp_ah_bundle test_esp_ah_bundle
vm_test esp_in_udp test_esp_in_udp
vm_test esp6_transport_gcm test_esp6_transport_gcm
vm_test acquire_from_trap_policy test_acquire_from_trap_policy
vm_test expire_soft_then_hard test_expire_soft_then_hard
vm_finish
