#!/usr/bin/env bash
# scripts/demo.sh (README): stdout carries nothing but events (JSON lines), and a stop ends
# everything it started. Runs the demo on the built binaries (PRESENCED_DEMO_SKIP_BUILD, any free
# port) three times: Ctrl-C as a terminal sends it (SIGINT to the whole process group), SIGINT to
# the script alone, SIGTERM to the script alone. Each time, after the first event: the script
# exits within 15 s with 130 / 143, presenced and the fake Ably server are gone, presenced logged
# that it stopped cleanly, the demo said where the binary is, and every stdout line is a JSON
# object with an action.
# Usage: demo_stop_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
(($# == 2)) || { echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2; exit 2; }
source_dir=$1 build_dir=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/presenced-demo-test.XXXXXX")
demo_pid=""
cleanup() {
  [ -n "$demo_pid" ] && kill -KILL -- -"$demo_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.err; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  exit 1
}
# Job control: the demo gets its own process group (as a command typed in a terminal does), and
# SIGINT is not ignored in it as it would be in a plain background command.
set -m

run() {
  local how=$1 want=$2 out=$work/$1.out err=$work/$1.err
  PRESENCED_DEMO_SKIP_BUILD=1 PRESENCED_DEMO_BUILD_DIR=$build_dir PRESENCED_DEMO_LISTEN=127.0.0.1:0 \
    bash "$source_dir/scripts/demo.sh" >"$out" 2>"$err" &
  demo_pid=$!
  local deadline=$((SECONDS + 60))
  until [ -s "$out" ]; do
    ((SECONDS < deadline)) || fail "$how: no event on stdout within 60s"
    kill -0 "$demo_pid" 2>/dev/null || fail "$how: the demo exited before its first event"
    sleep 0.2
  done
  local children
  children=$(pgrep -P "$demo_pid" | tr '\n' ' ')
  [ "$(echo "$children" | wc -w)" -eq 2 ] || fail "$how: expected presenced and fake_ably, got: $children"
  case $how in
    ctrl-c) kill -INT -- -"$demo_pid" ;;
    sigint) kill -INT "$demo_pid" ;;
    sigterm) kill -TERM "$demo_pid" ;;
  esac
  deadline=$((SECONDS + 15))
  while kill -0 "$demo_pid" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "$how: the demo is still running 15s after the signal"
    sleep 0.1
  done
  local status=0
  wait "$demo_pid" || status=$?
  demo_pid=""
  [ "$status" -eq "$want" ] || fail "$how: exit status $status, expected $want"
  for pid in $children; do
    ! kill -0 "$pid" 2>/dev/null || fail "$how: process $pid ($(cat /proc/"$pid"/comm)) still runs"
  done
  grep -q "stopped cleanly" "$err" || fail "$how: presenced did not log 'stopped cleanly'"
  grep -q "demo: presenced is .*/daemon/presenced" "$err" || fail "$how: the demo did not say where presenced is"
  python3 - "$out" "$how" <<'PY' || fail "$how: stdout is not only events"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for line in lines:
    event = json.loads(line)
    assert isinstance(event, dict) and "action" in event and "channel" in event, line
print(f"{sys.argv[2]}: {len(lines)} events on stdout, all JSON")
PY
}

run ctrl-c 130
run sigint 130
run sigterm 143
echo "OK: the demo printed only events and stopped everything it started on Ctrl-C, SIGINT and SIGTERM"
