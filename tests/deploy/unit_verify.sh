#!/usr/bin/env bash
# `systemd-analyze verify` on systemd/presenced.service.in, rendered with the built presenced binary (verify
# checks that ExecStart* binaries exist). Fails on a non-zero exit *and* on any diagnostic: verify only warns
# (exit 0) about unknown or misspelt directives.
# Usage: unit_verify.sh PRESENCED TEMPLATE
set -euo pipefail
(($# == 2)) || { echo "usage: $0 PRESENCED TEMPLATE" >&2; exit 2; }
presenced=$1 template=$2
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze not found" >&2; exit 1; }
[[ -x "$presenced" && "$(basename "$presenced")" == presenced ]] || { echo "FAIL: bad binary $presenced" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|@PRESENCED_BINDIR@|$(dirname "$(realpath "$presenced")")|g" "$template" >"$work/presenced.service"
grep -q '@[A-Z_]*@' "$work/presenced.service" && { echo "FAIL: unsubstituted @VAR@ in the unit" >&2; exit 1; }

rc=0
out=$(cd "$work" && systemd-analyze verify ./presenced.service 2>&1) || rc=$?
if ((rc != 0)) || [[ -n "$out" ]]; then
  echo "FAIL: systemd-analyze verify (exit $rc):" >&2
  echo "$out" >&2
  exit 1
fi
echo "OK: systemd-analyze verify is clean"
