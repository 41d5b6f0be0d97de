#!/usr/bin/env bash
# The README's cost examples ("What a poll costs", "Presence history mode"): `presenced
# --check-ably` against the fake_ably program simulating each example's channels, members and
# changes, with the example's config. Prints each example's `cost per hour` and `fits` lines,
# which compare the figures with the hourly limits of Ably's plans (ably/docs
# platform/pricing/limits, compiled into presenced: service/cost_estimate.cc).
#
# History examples wait HISTORY_WAIT seconds (default 70) first, so the one channel whose history
# --check-ably reads has a minute of changes to measure the change rate on.
# Usage: bench/cost/check-ably-examples.sh    (env: BUILD=build HISTORY_WAIT=70)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
history_wait=${HISTORY_WAIT:-70}

cmake --build "$build" -j2 --target presenced fake_ably >/dev/null
presenced=$build/daemon/presenced
fake_bin=$build/tests/fakes/fake_ably/fake_ably
work=$(mktemp -d)
fake_pid=
cleanup() {
  [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
key=app.key:secret

# example NAME SIMULATE MODE INTERVAL [RECONCILE_EVERY]
example() {
  local name=$1 simulate=$2 mode=$3 interval=$4 reconcile=${5:-20}
  "$fake_bin" --port 0 --key "$key" --simulate "$simulate,seed=1" >"$work/fake.log" 2>&1 &
  fake_pid=$!
  local port=
  for _ in $(seq 100); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/fake.log" | cut -d: -f2) && [[ -n $port ]] && break
    sleep 0.1
  done
  [[ $mode == history ]] && sleep "$history_wait"
  cat >"$work/presenced.yaml" <<YAML
ably:
  endpoint: http://127.0.0.1:$port
poll:
  interval: $interval
discovery:
  prefixes: ["sim:"]
presence:
  mode: $mode
  reconcile_every: $reconcile
state:
  dir: $work/state
YAML
  echo "== $name (fake_ably --simulate $simulate; presence.mode $mode, poll.interval $interval)"
  ABLY_API_KEY=$key "$presenced" --check-ably --config "$work/presenced.yaml" 2>/dev/null |
    grep -E '^(cost per hour|fits|presence history):' || true
  kill "$fake_pid"
  wait "$fake_pid" 2>/dev/null || true
  fake_pid=
}

example "one channel of 35 members" "channels=1,members=35,churn=0" snapshot 15s
example "1,000 channels of 100 members" "channels=1000,members=100,churn=0" snapshot 15s
example "1,000 channels of 100 members, 1 % changing a minute" \
  "channels=1000,members=100,churn=17" history 15s
example "the same, poll.interval 57s (the longest the 2-minute retention allows)" \
  "channels=1000,members=100,churn=17" history 57s
