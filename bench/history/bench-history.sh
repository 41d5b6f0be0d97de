#!/usr/bin/env bash
# Billing benchmark of presence.mode (issue 11): the real presenced against the fake_ably program
# simulating CHANNELS channels of MEMBERS members with 1 % of the members changing per minute
# (enter, leave or update, seeded), plus short visits (a member entering and leaving at once,
# one every VISIT_EVERY seconds, clientIds visit-N). For snapshot mode and for history mode with
# reconcile_every: 20 it prints what the fake billed (one message per presence member returned
# and one per history item returned, GET /_fake/bill), Ably requests per cycle, and how many short
# visits presenced missed (no `enter` then `leave` printed for it).
#
# Time is compressed by SPEEDUP (default 5): poll.interval is 15s / SPEEDUP and the churn is
# SPEEDUP times faster, so every cycle sees what a 15 s cycle would; per-hour figures are per
# cycle × 240 (the cycles of an hour at 15 s). History mode is measured over 40 cycles after the
# first (2 reconciles), snapshot mode over 10.
# Usage: bench/history/bench-history.sh    (env: CHANNELS=1000 MEMBERS=100 SPEEDUP=5 BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/../.."
channels=${CHANNELS:-1000}
members=${MEMBERS:-100}
speedup=${SPEEDUP:-5}
build=${BUILD:-build}
visit_every=${VISIT_EVERY:-1}

cmake --build "$build" -j2 --target presenced fake_ably >/dev/null
presenced=$build/daemon/presenced
fake_bin=$build/tests/fakes/fake_ably/fake_ably

work=$(mktemp -d)
fake_pid=
daemon_pid=
cleanup() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {
  local end=$(($(date +%s) + $2))
  until eval "$1"; do
    (($(date +%s) < end)) || { echo "timed out waiting for: $1" >&2; return 1; }
    sleep 0.05
  done
}
metric() {
  curl -sf "http://127.0.0.1:$http_port/metrics" |
    awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $2} END {printf "%.0f", s}'
}
bill() { curl -sf "http://127.0.0.1:$fake_port/_fake/bill"; }
# billed: "SNAPSHOT HISTORY CHANGES": messages the fake has billed so far, and the presence
# changes it has recorded (enter + leave + update).
billed() {
  bill | sed 's/.*"snapshot":\([0-9]*\),"history":\([0-9]*\).*"enter":\([0-9]*\),"leave":\([0-9]*\),"update":\([0-9]*\).*/\1 \2 \3 \4 \5/' |
    awk '{print $1, $2, $3 + $4 + $5}'
}

run_mode() {
  local mode=$1 measured=$2
  # members × 1 % per minute, in changes per second, sped up.
  local churn
  churn=$(echo "scale=3; $channels * $members / 100 / 60 * $speedup" | bc)
  "$fake_bin" --simulate "channels=$channels,members=$members,churn=$churn,seed=7" \
    >"$work/fake.out" 2>&1 &
  fake_pid=$!
  wait_for "grep -q 'listening on' '$work/fake.out'" 120
  fake_port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/fake.out")
  local interval_ms=$((15000 / speedup))
  {
    printf 'ably:\n  endpoint: http://127.0.0.1:%s\npoll:\n  interval: %dms\n' "$fake_port" \
      "$interval_ms"
    printf 'presence:\n  mode: %s\n  reconcile_every: 20\nchannels:\n' "$mode"
    for ((c = 0; c < channels; c++)); do printf '  - sim:%04d\n' "$c"; done
    printf 'state:\n  dir: %s/state-%s\nhttp:\n  listen: 127.0.0.1:0\n' "$work" "$mode"
    printf 'metrics:\n  per_channel: false\noutput:\n  stdout: true\n'
  } >"$work/presenced.yaml"
  ABLY_API_KEY=bench.key:secret "$presenced" --config "$work/presenced.yaml" \
    2>"$work/stderr-$mode" >"$work/events-$mode" &
  daemon_pid=$!
  wait_for "grep -q 'http listening on' '$work/stderr-$mode'" 60
  http_port=$(sed -n 's/.*http listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/stderr-$mode" | head -1)

  # Warm-up: the first cycle is a full snapshot, and the next ones read the fake's history of
  # its initial population (already in that snapshot, so no events, but billed).
  wait_for "(( \$(metric presenced_poll_cycles_total) >= 3 ))" 300
  # Short visits on random channels, from a background loop, while the cycles are measured.
  (
    for ((v = 0; ; v++)); do
      [[ ! -e $work/stop-visits ]] || exit 0
      ch=$(printf 'sim:%04d' $((RANDOM % channels)))
      curl -sf -X POST "http://127.0.0.1:$fake_port/_fake/enter" \
        -d "{\"channel\":\"$ch\",\"clientId\":\"visit-$v\",\"connectionId\":\"v$v\",\"data\":\"hi\"}" >/dev/null
      curl -sf -X POST "http://127.0.0.1:$fake_port/_fake/leave" \
        -d "{\"channel\":\"$ch\",\"clientId\":\"visit-$v\",\"connectionId\":\"v$v\"}" >/dev/null
      echo "$v" >"$work/visits"
      sleep "$visit_every"
    done
  ) &
  local visitor=$!
  local c0 r0 s0 h0 x0 o0 t0 s1 h1 x1 r1 c1 o1 t1 visits
  c0=$(metric presenced_poll_cycles_total) r0=$(metric presenced_api_requests_total)
  o0=$(metric presenced_poll_overruns_total) t0=$(date +%s.%N)
  read -r s0 h0 x0 < <(billed)
  wait_for "(( \$(metric presenced_poll_cycles_total) >= c0 + $measured ))" 900
  read -r s1 h1 x1 < <(billed)
  t1=$(date +%s.%N)
  c1=$(metric presenced_poll_cycles_total) r1=$(metric presenced_api_requests_total)
  o1=$(metric presenced_poll_overruns_total)
  touch "$work/stop-visits"  # the visit under way ends, then the loop
  wait "$visitor" || true
  rm -f "$work/stop-visits"
  visits=$(($(cat "$work/visits" 2>/dev/null || echo -1) + 1))
  # Let history catch up with the last visits (it reads up to now - 2 s).
  wait_for "(( \$(metric presenced_poll_cycles_total) >= c1 + 2 + 3000 / interval_ms ))" 120
  local seen
  seen=$({ grep -o '"action":"[a-z]*","clientId":"visit-[0-9]*"' "$work/events-$mode" || true; } |
    sed 's/"action":"\([a-z]*\)","clientId":"\(visit-[0-9]*\)"/\2 \1/' |
    awk '$2 == "enter" {e[$1] = 1} $2 == "leave" && e[$1] {both[$1] = 1} END {print length(both)}')
  kill "$daemon_pid" && wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=
  kill "$fake_pid" && wait "$fake_pid" 2>/dev/null || true
  fake_pid=
  # Snapshots are billed per cycle (240 an hour at 15 s), history per change (per second of
  # wall time, slowed back down by SPEEDUP), so cycles that overran do not skew either.
  awk -v mode="$mode" -v n="$((c1 - c0))" -v s="$((s1 - s0))" -v h="$((h1 - h0))" \
    -v r="$((r1 - r0))" -v visits="$visits" -v seen="$seen" -v over="$((o1 - o0))" \
    -v wall="$(echo "$t1 - $t0" | bc)" -v speedup="$speedup" -v x="$((x1 - x0))" 'BEGIN {
      sh = s / n * 240; hh = h / wall * 3600 / speedup
      printf "%-8s %3d cycles (%d overran): %6.1f requests/cycle; billed per hour: %10.0f snapshot + %8.0f history = %10.0f messages (changes made: %.0f/hour); short visits missed: %d of %d\n",
        mode, n, over, r / n, sh, hh, sh + hh, x / wall * 3600 / speedup, visits - seen, visits
    }'
}

echo "$channels channels x $members members, 1 % of members changing per minute, poll.interval 15s (run ${speedup}x faster), reconcile_every 20"
run_mode snapshot 10
run_mode history 40
