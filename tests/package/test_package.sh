#!/usr/bin/env bash
# Builds the Debian package from a build tree with CPack and checks it unpacked into a scratch root: its
# files, the default configuration, ipsecctl, the man pages, the systemd unit, the bash completion, and
# that the daemon runs with only the unit's capabilities (in a network namespace; root).
# Usage: test_package.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/ipsecd-package.XXXXXX)
netns="ipsecd-pkg-$$"
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  ip netns del "$netns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# --- the package -------------------------------------------------------------------------------------------
start=$(date +%s)
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  echo "FAIL: cpack" >&2
  exit 1
fi
echo "cpack took $(($(date +%s) - start)) s"
debs=("$work"/out/ipsecd_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: expected one ipsecd_*.deb in $work/out" >&2; exit 1; }
deb=${debs[0]}
pass "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

control=$(dpkg-deb --field "$deb")
for field in "Package: ipsecd" "Section: net" "Architecture: $(dpkg --print-architecture)"; do
  grep -qx "$field" <<<"$control" && pass "control: $field" || fail "control lacks '$field'"
done
depends=$(dpkg-deb --field "$deb" Depends)
for dep in libbotan-2 libmnl libsystemd0 libtomlplusplus init-system-helpers; do
  grep -q "$dep" <<<"$depends" && pass "Depends names $dep" || fail "Depends '$depends' lacks $dep"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$work" -f - ./conffiles ./postinst ./prerm ./postrm
[ "$(cat "$work/conffiles")" = "/etc/ipsecd/ipsecd.toml" ] && pass "conffiles" || fail "conffiles: $(cat "$work/conffiles")"
for script in postinst prerm postrm; do
  [ -x "$work/$script" ] && sh -n "$work/$script" && pass "$script executable, valid sh" || fail "$script"
done

root="$work/root"
dpkg-deb -x "$deb" "$root"
expected=(
  usr/sbin/ipsecd usr/sbin/ipsecctl lib/systemd/system/ipsecd.service etc/ipsecd/ipsecd.toml
  usr/share/bash-completion/completions/ipsecctl usr/share/man/man8/ipsecd.8.gz
  usr/share/man/man8/ipsecctl.8.gz usr/share/man/man5/ipsecd.toml.5.gz usr/share/doc/ipsecd/copyright
  usr/share/doc/ipsecd/PROTOCOL.md usr/share/doc/ipsecd/examples/site-to-site-psk.toml
  usr/share/doc/ipsecd/examples/site-to-site-cert.toml usr/share/doc/ipsecd/examples/host-to-host-transport.toml
)
for f in "${expected[@]}"; do [ -f "$root/$f" ] || fail "missing /$f"; done
[ -d "$root/etc/ipsecd/conf.d" ] && [ "$(stat -c %a "$root/etc/ipsecd/conf.d")" = 750 ] &&
  pass "/etc/ipsecd/conf.d/ (0750)" || fail "/etc/ipsecd/conf.d missing or not 0750"
for exe in ipsecd ipsecctl; do
  if readelf -S "$root/usr/sbin/$exe" | grep -q "\.symtab"; then fail "$exe is not stripped"; fi
done
pass "file list"

# --- the executables and the default configuration ----------------------------------------------------------
out=$("$root/usr/sbin/ipsecd" --check-config "$root/etc/ipsecd/ipsecd.toml" 2>&1) &&
  [ "$out" = "configuration OK" ] && pass "ipsecd --check-config on the installed default config" ||
  fail "ipsecd --check-config: $out"
# The default file includes conf.d/*.toml: an installed example dropped there must be read and pass.
cp "$root/usr/share/doc/ipsecd/examples/site-to-site-psk.toml" "$root/etc/ipsecd/conf.d/"
out=$("$root/usr/sbin/ipsecd" --check-config "$root/etc/ipsecd/ipsecd.toml" 2>&1) &&
  pass "the PSK example in conf.d/ passes" || fail "ipsecd --check-config with the PSK example: $out"
echo 'proposals = ["aes256gcm16-nosuchgroup"]' >"$root/etc/ipsecd/conf.d/zz-broken.toml"
if out=$("$root/usr/sbin/ipsecd" --check-config "$root/etc/ipsecd/ipsecd.toml" 2>&1); then
  fail "a broken file in conf.d/ was accepted"
else
  grep -q "zz-broken.toml:1" <<<"$out" && pass "a broken conf.d/ file is reported with file and line" ||
    fail "unexpected error text: $out"
fi
rm "$root"/etc/ipsecd/conf.d/*.toml

"$root/usr/sbin/ipsecctl" --help >"$work/help" 2>&1 && grep -q "status" "$work/help" &&
  pass "ipsecctl --help" || fail "ipsecctl --help: $(cat "$work/help")"
rc=0
"$root/usr/sbin/ipsecctl" --socket "$work/no-such.sock" status >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 3 ] && pass "ipsecctl without a daemon exits 3" || fail "ipsecctl without a daemon exited $rc"

# --- man pages ----------------------------------------------------------------------------------------------
for page in "$root"/usr/share/man/man*/*.gz; do
  name=$(basename "$page" .gz)
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$work/rendered") || fail "man -l $name failed"
  [ -z "$warnings" ] || fail "man --warnings -l $name: $warnings"
  grep -q "^NAME" "$work/rendered" || fail "man -l $name rendered no NAME section"
  warnings=$(zcat "$page" | groff -man -ww -z 2>&1)
  [ -z "$warnings" ] && pass "man page $name renders without warnings" || fail "groff -ww $name: $warnings"
done

# --- the systemd unit ---------------------------------------------------------------------------------------
# verify needs ExecStart to exist, and checks Documentation=man:... with man(1): point both into the root.
unit="$work/unit/ipsecd.service"
mkdir -p "$work/unit"
sed "s|/usr/sbin/ipsecd|$root/usr/sbin/ipsecd|" "$root/lib/systemd/system/ipsecd.service" >"$unit"
grep -q "^ExecStart=$root/usr/sbin/ipsecd\$" "$unit" || fail "unexpected ExecStart in the unit"
# Unknown keys are only warnings for verify, so any output counts as a failure.
verify=$(MANPATH="$root/usr/share/man" systemd-analyze verify "$unit" 2>&1) && [ -z "$verify" ] &&
  pass "systemd-analyze verify" || fail "systemd-analyze verify: $verify"

# --- bash completion ----------------------------------------------------------------------------------------
completion="$root/usr/share/bash-completion/completions/ipsecctl"
complete_words() {
  # $1: the command line up to the cursor, the last word being completed.
  bash --norc --noprofile -c '
    source "$1" || exit 1
    read -r -a COMP_WORDS <<<"$2"
    [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _ipsecctl
    echo "${COMPREPLY[*]}"' _ "$completion" "$1"
}
[ "$(complete_words "ipsecctl st")" = "status" ] && pass "completion: ipsecctl st -> status" ||
  fail "completion of 'ipsecctl st': '$(complete_words "ipsecctl st")'"
[ "$(complete_words "ipsecctl reload --d")" = "--dry-run" ] && pass "completion: reload --d -> --dry-run" ||
  fail "completion of 'ipsecctl reload --d': '$(complete_words "ipsecctl reload --d")'"
[ "$(complete_words "ipsecctl --json ve")" = "version" ] && pass "completion after a global option" ||
  fail "completion of 'ipsecctl --json ve': '$(complete_words "ipsecctl --json ve")'"

# --- the daemon with only the unit's capabilities -----------------------------------------------------------
# The unit's CapabilityBoundingSet, for setpriv: "+net_admin,+net_bind_service,..."
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
[ -n "$caps" ] || fail "the unit has no CapabilityBoundingSet"
ip netns add "$netns"
ip -n "$netns" link set lo up
ip -n "$netns" link add va type veth peer name vb
ip -n "$netns" addr add 192.0.2.1/24 dev va
ip -n "$netns" link set va up
ip -n "$netns" link set vb up
config="$work/caps.toml"
cat >"$config" <<CONF
[daemon]
ctl_socket = "$work/ctl.sock"
ctl_group = "nogroup"
listen = ["192.0.2.1"]

[connections.gateway]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.2"
[connections.gateway.local]
auth = "psk"
[connections.gateway.remote]
auth = "psk"
id = "192.0.2.2"
[connections.gateway.children.net]
local_ts = ["198.51.100.0/24"]
remote_ts = ["203.0.113.0/24"]

[secrets.gateway]
ids = ["192.0.2.1", "192.0.2.2"]
psk = "0x00112233445566778899aabbccddeeff"
CONF
run_daemon() {  # $1: bounding set for setpriv; the daemon's log goes to $work/daemon.log
  ip netns exec "$netns" setpriv --bounding-set=-all,"$1" --inh-caps=-all --no-new-privs -- \
    "$root/usr/sbin/ipsecd" --foreground -c "$config" >"$work/daemon.log" 2>&1 &
  daemon_pid=$!
}
run_daemon "$caps"
up=0
for _ in $(seq 50); do
  if "$root/usr/sbin/ipsecctl" --socket "$work/ctl.sock" status >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.2
done
if [ $up -eq 1 ]; then
  pass "ipsecd runs with only $caps"
  [ "$(stat -c %G "$work/ctl.sock")" = nogroup ] && pass "control socket given to ctl_group" ||
    fail "control socket group $(stat -c %G "$work/ctl.sock")"
  names=$(complete_words "$root/usr/sbin/ipsecctl --socket $work/ctl.sock up ga")
  [ "$names" = "gateway" ] && pass "completion asks the daemon for connection names" ||
    fail "completion of 'up ga' with a daemon: '$names'"
  kill -TERM "$daemon_pid"
  rc=0
  wait "$daemon_pid" || rc=$?
  daemon_pid=""
  [ $rc -eq 0 ] && pass "ipsecd stopped cleanly on SIGTERM" || fail "ipsecd exited $rc on SIGTERM"
else
  fail "ipsecd did not come up with $caps: $(cat "$work/daemon.log")"
fi
# Each capability is needed: without it start-up fails, saying why.
declare -A needed_for=([+net_admin]="CAP_NET_ADMIN" [+net_bind_service]=":500: Permission denied"
  [+chown]="cannot give $work/ctl.sock to group")
for cap in ${caps//,/ }; do
  run_daemon "$(tr ',' '\n' <<<"$caps" | grep -vxF -- "$cap" | paste -sd,)"
  rc=0
  wait "$daemon_pid" || rc=$?
  daemon_pid=""
  reason=${needed_for[$cap]:-}
  if [ -z "$reason" ]; then
    fail "the unit keeps $cap, which this test does not know the need for"
  elif [ $rc -ne 0 ] && grep -qF -- "$reason" "$work/daemon.log"; then
    pass "without $cap start-up fails ($reason)"
  else
    fail "without $cap: exit $rc, log: $(cat "$work/daemon.log")"
  fi
done

echo "package test: $failures failure(s), $(($(date +%s) - start)) s in all"
[ $failures -eq 0 ]
