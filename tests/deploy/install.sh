#!/usr/bin/env bash
# `cmake --install --component deploy` into a DESTDIR: the unit lands in <prefix>/lib/systemd/system with
# ExecStart under <prefix>/bin, the example config in <prefix>/share/doc/presenced/examples, and the
# admin's /etc/presenced/presenced.yaml is never touched.
# Usage: install.sh CMAKE BUILD_DIR
set -euo pipefail
(($# == 2)) || { echo "usage: $0 CMAKE BUILD_DIR" >&2; exit 2; }
cmake=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# check PREFIX UNIT_DIR BIN_DIR EXAMPLE_DIR
check() {
  local prefix=$1 unit=$2/presenced.service bindir=$3 example=$4/presenced.yaml dest=$work/${1//\//_}
  # An admin's config already in place must survive the install untouched.
  mkdir -p "$dest/etc/presenced"
  echo "# admin's own config" >"$dest/etc/presenced/presenced.yaml"
  DESTDIR=$dest "$cmake" --install "$build" --component deploy --prefix "$prefix" >"$work/install.log" 2>&1 \
    || fail "cmake --install --prefix $prefix: $(cat "$work/install.log")"
  [[ -f "$dest$unit" ]] || fail "prefix $prefix: no $unit"
  [[ -f "$dest$example" ]] || fail "prefix $prefix: no $example"
  grep -qx "ExecStart=$bindir/presenced --config /etc/presenced/presenced.yaml" "$dest$unit" \
    || fail "prefix $prefix: $unit has $(grep '^ExecStart=' "$dest$unit")"
  grep -qx "ExecStartPre=$bindir/presenced --check-config --config /etc/presenced/presenced.yaml" "$dest$unit" \
    || fail "prefix $prefix: $unit has $(grep '^ExecStartPre=' "$dest$unit")"
  ! grep -q '@[A-Z_]*@' "$dest$unit" || fail "prefix $prefix: unsubstituted @VAR@ in $unit"
  [[ "$(cat "$dest/etc/presenced/presenced.yaml")" == "# admin's own config" ]] \
    || fail "prefix $prefix: presenced.yaml overwritten"
  [[ $(ls "$dest/etc/presenced") == presenced.yaml ]] || fail "prefix $prefix: wrote into /etc/presenced"
  echo "OK: prefix $prefix -> $unit, $example"
}

check /usr /usr/lib/systemd/system /usr/bin /usr/share/doc/presenced/examples
check /usr/local /usr/local/lib/systemd/system /usr/local/bin /usr/local/share/doc/presenced/examples
check /opt/presenced /opt/presenced/lib/systemd/system /opt/presenced/bin \
  /opt/presenced/share/doc/presenced/examples
