#!/usr/bin/env bash
# Stages Libreswan 4.10 (pluto, whack, NSS tools) for the interop VM and prints the run_vm.sh arguments.
# Libreswan's package conflicts with strongSwan's, so it is never installed: its .deb and the libraries the
# host lacks are fetched once with `apt-get download`, unpacked with `dpkg -x` into the VM cache and reused.
# Usage: stage/libreswan.sh CACHE_DIR (run_interop.sh passes it). Output: one run_vm.sh option a line
# (`--bin PATH` or `--file SRC:DEST`); everything else goes to stderr.
set -euo pipefail

cache=${1:?usage: libreswan.sh CACHE_DIR}
# What the guest needs besides pluto: its libraries the host lacks (libldns3, libevent-pthreads), and
# the NSS tools that make and fill pluto's certificate database.
packages=(libreswan libnss3-tools libldns3 libevent-pthreads-2.1-7)
# Libraries no executable's ldd lists, so --bin does not bring them: the two pluto needs that the host lacks
# (unpacked) and the modules NSS dlopens at run time (softokn, the old database format, the crypto core).
extra_libraries=(
  root/usr/lib/x86_64-linux-gnu/libldns.so.3
  root/usr/lib/x86_64-linux-gnu/libevent_pthreads-2.1.so.7
  /usr/lib/x86_64-linux-gnu/libsoftokn3.so
  /usr/lib/x86_64-linux-gnu/libfreeblpriv3.so
  /usr/lib/x86_64-linux-gnu/libnssdbm3.so
)

log() { printf '[stage libreswan] %s\n' "$*" >&2; }

fetch() {
  [ -f "$cache/ready" ] && return 0
  log "fetching ${packages[*]} into $cache"
  rm -rf "$cache/debs" "$cache/root"
  mkdir -p "$cache/debs" "$cache/root"
  # As root apt warns that it downloads unsandboxed (its _apt user cannot write here); that is harmless.
  (cd "$cache/debs" && apt-get download -q "${packages[@]}" >&2)
  for deb in "$cache"/debs/*.deb; do dpkg -x "$deb" "$cache/root"; done
  touch "$cache/ready"
}

mkdir -p "$cache"
(
  flock -w 600 9 || { log "could not lock $cache/lock"; exit 2; }
  fetch
) 9>"$cache/lock"

version=$(dpkg-deb -f "$(ls "$cache"/debs/libreswan_*.deb)" Version)
case $version in
  4.10*) ;;
  *) log "warning: the libreswan package is $version, the matrix names 4.10" ;;
esac

for exe in usr/libexec/ipsec/pluto usr/libexec/ipsec/whack usr/libexec/ipsec/addconn usr/bin/certutil \
  usr/bin/pk12util; do
  printf -- '--bin %s\n' "$cache/root/$exe"
done
# pluto started with --config runs addconn from its compiled-in path to load the connections.
printf -- '--file %s:/usr/libexec/ipsec/addconn\n' "$cache/root/usr/libexec/ipsec/addconn"
# openssl turns the fixture's PEM key and certificate into the PKCS#12 file pk12util imports.
openssl=$(command -v openssl) || { log "openssl is missing on the host"; exit 2; }
printf -- '--bin %s\n' "$openssl"
# Each extra library at the loader's default path, and what it needs at the path ldd shows (the loader in
# the guest has no ld.so.cache, only its default directories).
for lib in "${extra_libraries[@]}"; do
  case $lib in /*) path=$lib ;; *) path=$cache/$lib ;; esac
  [ -f "$path" ] || { log "missing $path"; exit 2; }
  printf '%s:/usr/lib/x86_64-linux-gnu/%s\n' "$(readlink -f "$path")" "$(basename "$lib")"
  LD_LIBRARY_PATH=$cache/root/usr/lib/x86_64-linux-gnu ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
    while IFS= read -r dep; do printf '%s:%s\n' "$(readlink -f "$dep")" "$dep"; done
done | sort -u | sed 's/^/--file /'
