#!/usr/bin/env bash
# End-to-end benchmark: the real Release presenced polling bench/e2e/batch_presence_server (a
# static batch-presence endpoint on 127.0.0.1 whose bodies alternate so every cycle sees 5 % churn)
# with the state store on, back-to-back cycles (poll.interval 100ms), metrics.per_channel false,
# no stdout events and no webhook. For each size it prints:
#   - CPU-seconds of presenced per million member-snapshots (utime+stime from /proc/PID/stat over
#     the measured cycles, after warm-up) and the inverse, M member-snapshots per CPU-second;
#   - peak RSS (VmHWM), and the RSS after the measured cycles;
#   - bytes written per cycle: the kernel's count (/proc/PID/io write_bytes: WAL, checkpoints)
#     and presenced_state_bytes_written_total when the binary exports it;
#   - events, Ably requests and wall time per cycle;
#   - start-up: a restart on the same state.dir (every member stored), time to the first
#     finished cycle, and to the "state: restored" log line.
# Usage: scripts/bench-e2e.sh [SIZES...]   SIZES like 1000x100 (default: 1000x100 1000x1000)
# Profiling: BENCH_PERF_RESTART=FILE records the restart (start to the first finished cycle).
# BENCH_PERF=FILE records `perf record -g` of presenced over the measured cycles (use
# it with BENCH_CXX_FLAGS=-fno-omit-frame-pointer BENCH_BUILD_DIR=build-prof for usable call
# graphs; BENCH_PERF_ARGS replaces -g, e.g. "--call-graph dwarf"); BENCH_ABLY_YAML adds one line
# under `ably:` (e.g. "max_in_flight: 1"); BENCH_BUILD_DIR (default build-release) and BENCH_CXX_FLAGS pick the build.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000x100 1000x1000)
cycles=${BENCH_CYCLES:-6}
warmup=${BENCH_WARMUP:-3}

build=${BENCH_BUILD_DIR:-build-release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRESENCED_BUILD_TESTS=OFF \
  -DPRESENCED_BUILD_BENCH=ON "-DCMAKE_CXX_FLAGS=${BENCH_CXX_FLAGS:-}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target presenced batch_presence_server >/dev/null
presenced=$build/daemon/presenced
server_bin=$build/bench/batch_presence_server
tick=$(getconf CLK_TCK)

work=$(mktemp -d)
server_pid=
daemon_pid=
cleanup() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# now: seconds since the epoch with nanoseconds.
now() { date +%s.%N; }
# wait_for CMD DEADLINE_SECONDS: polls CMD every 20 ms until it succeeds; fails after the deadline.
wait_for() {
  local end=$(($(date +%s) + $2))
  until eval "$1"; do
    (($(date +%s) < end)) || { echo "timed out waiting for: $1" >&2; return 1; }
    sleep 0.02
  done
}
metrics() { curl -sf "http://127.0.0.1:$http_port/metrics"; }
# metric NAME: sum of every sample of NAME (0 when absent).
# metric NAME [EXPOSITION]: sum of every sample of NAME (0 when absent), from EXPOSITION if given.
metric() {
  { if [[ $# -gt 1 ]]; then printf '%s\n' "$2"; else metrics; fi; } |
    awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $2} END {printf "%.0f", s}'
}
# since_start: seconds since presenced started (its start time in /proc/PID/stat, field 22).
since_start() {
  awk -v tick="$tick" -v started="$(awk '{print $22}' "/proc/$daemon_pid/stat")" \
    '{printf "%.2f", $1 - started / tick}' /proc/uptime
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$daemon_pid/stat"; }
write_bytes() { awk '/^write_bytes/ {print $2}' "/proc/$daemon_pid/io"; }

# start_daemon [PERF_FILE]: with a file, under `perf record -g` from its first instruction.
start_daemon() {
  : >"$work/stderr"
  if [[ -n ${1:-} ]]; then
    ABLY_API_KEY=bench.key:secret perf record -g -o "$1" -- "$presenced" \
      --config "$work/presenced.yaml" 2>"$work/stderr" >/dev/null &
    restart_perf_pid=$!
    wait_for "pgrep -P $restart_perf_pid >/dev/null" 60
    daemon_pid=$(pgrep -P "$restart_perf_pid")
  else
    ABLY_API_KEY=bench.key:secret "$presenced" --config "$work/presenced.yaml" \
      2>"$work/stderr" >/dev/null &
    daemon_pid=$!
  fi
  wait_for "grep -q 'http listening on' '$work/stderr'" 60
  http_port=$(sed -n 's/.*http listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/stderr" | head -1)
}
stop_daemon() {
  kill -TERM "$daemon_pid"
  if [[ -n ${restart_perf_pid:-} ]]; then
    wait "$restart_perf_pid" || true
    restart_perf_pid=
  else
    wait "$daemon_pid" || true
  fi
  daemon_pid=
}

run_size() {
  local channels=${1%x*} members=${1#*x}
  local total=$((channels * members))
  "$server_bin" --channels "$channels" --members "$members" --churn-percent 5 >"$work/server.out" &
  server_pid=$!
  wait_for "grep -q '^port ' '$work/server.out'" 120
  local ably_port
  ably_port=$(awk '/^port / {print $2}' "$work/server.out")
  {
    printf 'ably:\n  endpoint: http://127.0.0.1:%s\n  max_response_bytes: 256MiB\n' "$ably_port"
    printf '  request_timeout: 60s\n'
    [[ -z ${BENCH_ABLY_YAML:-} ]] || printf '  %s\n' "$BENCH_ABLY_YAML"
    printf 'poll:\n  interval: 100ms\nchannels:\n'
    for ((c = 0; c < channels; c++)); do printf '  - room:%05d\n' "$c"; done
    printf 'state:\n  dir: %s/state\nhttp:\n  listen: 127.0.0.1:0\n' "$work"
    printf 'metrics:\n  per_channel: false\noutput:\n  stdout: false\n'
  } >"$work/presenced.yaml"
  rm -rf "$work/state"

  start_daemon
  wait_for "(( \$(metric presenced_poll_cycles_total) >= $warmup ))" 300
  # Counters come from one scrape each, taken right after the CPU and I/O readings.
  local m0 m1 c0 t0 w0 b0 e0 s0 r0 c1 t1 w1 b1 e1 s1 r1 perf_pid=
  if [[ -n ${BENCH_PERF:-} ]]; then
    perf record ${BENCH_PERF_ARGS:--g} -o "$BENCH_PERF" -p "$daemon_pid" 2>/dev/null &
    perf_pid=$!
  fi
  t0=$(cpu_ticks) w0=$(write_bytes) s0=$(now) m0=$(metrics)
  c0=$(metric presenced_poll_cycles_total "$m0") e0=$(metric presenced_events_total "$m0")
  b0=$(metric presenced_state_bytes_written_total "$m0")
  r0=$(metric presenced_api_requests_total "$m0")
  wait_for "(( \$(metric presenced_poll_cycles_total) >= c0 + $cycles ))" 300
  t1=$(cpu_ticks) w1=$(write_bytes) s1=$(now) m1=$(metrics)
  c1=$(metric presenced_poll_cycles_total "$m1") e1=$(metric presenced_events_total "$m1")
  b1=$(metric presenced_state_bytes_written_total "$m1")
  r1=$(metric presenced_api_requests_total "$m1")
  if [[ -n $perf_pid ]]; then kill -INT "$perf_pid" && wait "$perf_pid" || true; fi
  local hwm rss
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$daemon_pid/status")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon_pid/status")
  stop_daemon

  # Restart on the stored state: every member comes back from state.dir.
  local restored first first_cpu
  start_daemon "${BENCH_PERF_RESTART:-}"
  wait_for "grep -q 'state: restored' '$work/stderr'" 120
  restored=$(since_start)
  wait_for "(( \$(metric presenced_poll_cycles_total) >= 1 ))" 120
  first=$(since_start) first_cpu=$(cpu_ticks)
  stop_daemon
  [[ -z ${BENCH_VERBOSE:-} ]] || cat "$work/stderr" >&2
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=

  awk -v size="$1" -v total="$total" -v n="$((c1 - c0))" -v cpu="$(((t1 - t0)))" -v tick="$tick" \
    -v wb="$((w1 - w0))" -v sb="$((b1 - b0))" -v ev="$((e1 - e0))" -v rq="$((r1 - r0))" -v wall="$(echo "$s1 - $s0" | bc)" \
    -v hwm="$hwm" -v rss="$rss" -v rs="$restored" -v fs="$first" -v fc="$first_cpu" 'BEGIN {
      secs = cpu / tick; snaps = total * n / 1e6
      printf "%s (%d members), %d cycles measured after warm-up:\n", size, total, n
      printf "  CPU                 %.3f CPU-s per M member-snapshots (%.2f M member-snapshots per CPU-s), %.3f CPU-s per cycle\n", secs / snaps, snaps / secs, secs / n
      printf "  wall per cycle      %.3f s\n", wall / n
      printf "  peak RSS (VmHWM)    %.1f MiB (%.1f MiB at the end of the measured cycles)\n", hwm / 1024, rss / 1024
      printf "  written per cycle   %.2f MB (kernel write_bytes), %.2f MB (presenced_state_bytes_written_total)\n", wb / n / 1e6, sb / n / 1e6
      printf "  events per cycle    %.0f\n", ev / n
      printf "  requests per cycle  %.1f\n", rq / n
      printf "  start-up            %.2f s to restored state, %.2f s (%.2f CPU-s) to the first finished cycle\n", rs, fs, fc / tick
    }'
}

for size in "${sizes[@]}"; do
  case $size in
    burst) source bench/e2e/burst.sh && run_burst ;;
    *) run_size "$size" ;;
  esac
done
