#!/usr/bin/env bash
# `systemd-analyze security --offline=true` on the rendered unit: the overall exposure must stay below MAX.
# Usage: unit_security.sh TEMPLATE MAX
set -euo pipefail
(($# == 2)) || { echo "usage: $0 TEMPLATE MAX" >&2; exit 2; }
template=$1 max=$2
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed 's|@PRESENCED_BINDIR@|/usr/bin|g' "$template" >"$work/presenced.service"

rc=0
out=$(cd "$work" && systemd-analyze security --offline=true --no-pager presenced.service 2>&1) || rc=$?
# "→ Overall exposure level for presenced.service: 1.1 OK 🙂"
exposure=$(sed -n 's/.*Overall exposure level for presenced\.service: \([0-9][0-9.]*\).*/\1/p' <<<"$out")
if ((rc != 0)) || [[ -z "$exposure" ]]; then
  echo "FAIL: systemd-analyze security (exit $rc) gave no exposure level:" >&2
  echo "$out" >&2
  exit 1
fi
if ! awk -v e="$exposure" -v m="$max" 'BEGIN { exit !(e < m) }'; then
  echo "FAIL: exposure $exposure is not below $max; settings that cost exposure:" >&2
  grep '✗' <<<"$out" >&2 || true
  exit 1
fi
echo "OK: exposure $exposure < $max"
