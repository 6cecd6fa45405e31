#!/usr/bin/env bash
# Stages strongSwan 5.9.8 (the host's Debian packages) for the interop VM: prints the run_vm.sh arguments,
# one per line, that put charon and swanctl (with their libraries), the plugins they load and those plugins'
# libraries into the guest. Usage: stage/strongswan.sh CACHE_DIR (run_interop.sh passes it).
set -euo pipefail
cache=${1:?usage: strongswan.sh CACHE_DIR}

# tests/interop/strongswan_peer.cpp loads exactly these (charon's list; swanctl's is a subset).
plugins="random nonce openssl aes sha1 sha2 hmac gcm gmp kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints
  kernel-netlink socket-default vici"
packages="strongswan-charon strongswan-swanctl libstrongswan-standard-plugins"

if [ ! -x /usr/lib/ipsec/charon ] || [ ! -x /usr/sbin/swanctl ]; then
  [ "$(id -u)" -eq 0 ] || { echo "strongSwan is not installed: apt-get install $packages" >&2; exit 2; }
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages >&2
fi
version=$(dpkg-query -W -f '${Version}' strongswan-charon)
case $version in
  5.9.8*) ;;
  *) echo "warning: strongswan-charon is $version, the matrix names 5.9.8" >&2 ;;
esac

# The plugin directory charon's build names (/usr/lib/ipsec/plugins), with only the plugins loaded.
dir=$cache/plugins
rm -rf "$dir"
mkdir -p "$dir"
libraries=()
for p in $plugins; do
  so=/usr/lib/ipsec/plugins/libstrongswan-$p.so
  [ -f "$so" ] || { echo "missing strongSwan plugin $so" >&2; exit 2; }
  cp "$so" "$dir/"
  while IFS= read -r lib; do libraries+=("$lib"); done < <(ldd "$so" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
done

echo "--bin /usr/lib/ipsec/charon"
echo "--bin /usr/sbin/swanctl"
echo "--file $dir:/usr/lib/ipsec/plugins"
# Each library at the path the loader finds it by, copied from the file its symlinks resolve to.
printf '%s\n' "${libraries[@]}" | sort -u | while IFS= read -r lib; do
  echo "--file $(readlink -f "$lib"):$lib"
done
