# Sourced by boot_test.sh and image_test.sh: skip rules and the cached Debian root file system.
#   skip REASON                 prints "SKIP: REASON" and exits 77 (CTest SKIP_RETURN_CODE)
#   require_container_tools     skips unless root with debootstrap and systemd-nspawn
#   packages_for BINARY...      the Debian packages holding the shared libraries the binaries load
#   cached_rootfs PACKAGE...    prints the path of a bookworm rootfs (minbase + systemd + PACKAGES),
#                               debootstrapped once and kept in $PRESENCED_TEST_CACHE
#                               (/var/cache/presenced-test), keyed by a hash of the package list
#   boot ROOT SECONDS ARGS...   boots ROOT under systemd-nspawn (private network), killed after SECONDS

skip() {
  echo "SKIP: $*"
  exit 77
}

require_container_tools() {
  [[ $(id -u) == 0 ]] || skip "needs root (debootstrap and systemd-nspawn)"
  local tool
  for tool in debootstrap systemd-nspawn dpkg-deb; do
    command -v "$tool" >/dev/null || skip "$tool not installed (apt-get install debootstrap systemd-container)"
  done
}

packages_for() {
  local lib path
  for lib in $(ldd "$@" | awk '$3 ~ /^\// {print $3}' | sort -u); do
    path=$(readlink -f "$lib")
    # usrmerge: the library may be registered under /lib or /usr/lib.
    dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true
  done | cut -d: -f1 | sort -u
}

debian_mirror() {
  if [[ -n "${PRESENCED_TEST_MIRROR:-}" ]]; then echo "$PRESENCED_TEST_MIRROR"; return; fi
  local uri
  uri=$(grep -h -A3 '^Types: deb' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}')
  echo "${uri:-http://deb.debian.org/debian}"
}

cached_rootfs() {
  local cache=${PRESENCED_TEST_CACHE:-/var/cache/presenced-test}
  local packages
  packages=$(printf '%s\n' systemd systemd-sysv dbus curl ca-certificates "$@" | sort -u | paste -sd, -)
  local key
  key=$(echo "bookworm minbase $packages" | sha256sum | cut -c1-16)
  local root=$cache/rootfs-$key
  mkdir -p "$cache"
  (
    flock 9  # one debootstrap at a time; a second test waits for the first one's result
    if [[ ! -f "$root/.complete" ]]; then
      echo "debootstrap: building $root (once; later runs reuse it) with $packages" >&2
      rm -rf "$root.tmp"
      debootstrap --variant=minbase --include="$packages" bookworm "$root.tmp" "$(debian_mirror)" \
        >"$cache/debootstrap-$key.log" 2>&1 \
        || { tail -20 "$cache/debootstrap-$key.log" >&2; exit 1; }
      touch "$root.tmp/.complete"
      mv "$root.tmp" "$root"
    fi
  ) 9>"$cache/lock" || return 1
  echo "$root"
}

boot() {
  local root=$1 seconds=$2
  shift 2
  timeout -s KILL "$seconds" systemd-nspawn -q -D "$root" --boot --register=no --keep-unit --private-network "$@"
}
