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
#     finished cycle, and to the "state: restored" log line;
#   - the requests: per cycle, and their spread in time (the busiest second against the mean
#     rate, from the bench server's own count of requests per 100 ms);
#   - one /metrics scrape and one status page (/ and /api/v1/status): time and size, best of 3.
# At the end, a table "target | figure | met?" for each target of issue 21 that a size measured:
# 100000x3 (≤0.15 CPU-s per cycle, ≤140 MiB peak RSS, /metrics <50 ms and <64 KiB, status page
# <100 ms) and 1000x1000 (≥3 M member-snapshots per CPU-s, ≤250 MiB, restart ≤2 s).
# Side by side with ably-js (on unless BENCH_PEER=0): after presenced at a size, while the same
# bench server runs, bench/peer/run.sh measures the official ably-js REST client doing the same
# polling and diff (bench/peer/poller.cjs) over the same warm-up and cycles; the table gets the
# ratios ably-js / presenced (CPU per cycle ≥10× at 1000x100, 1000x1000, 100000x3; peak RSS ≥3×
# at 1000x1000 and 100000x3). Without node or the npm registry the comparison is skipped with a
# line saying why, and every other figure is still reported.
# Usage: scripts/bench-e2e.sh [SIZES...]   SIZES like 1000x100 (default: 1000x100 1000x1000
# 100000x3 burst). The word `burst` runs bench/e2e/burst.sh when it exists (the burst benchmark:
# see the hook at the end); BENCH_CYCLES (default 6) and BENCH_WARMUP (default 3) cycles per size.
# Profiling: BENCH_PERF_RESTART=FILE records the restart (start to the first finished cycle).
# BENCH_PERF=FILE records `perf record -g` of presenced over the measured cycles (use
# it with BENCH_CXX_FLAGS=-fno-omit-frame-pointer BENCH_BUILD_DIR=build-prof for usable call
# graphs; BENCH_PERF_ARGS replaces -g, e.g. "--call-graph dwarf"); BENCH_ABLY_YAML adds one line
# under `ably:` (e.g. "max_in_flight: 1"); BENCH_INTERVAL replaces poll.interval (e.g. 4s: the
# Ably client then spreads a cycle's requests over its first half, seen in the busiest second); BENCH_BUILD_DIR (default build-release) and BENCH_CXX_FLAGS pick the build;
# BENCH_SKIP_BUILD=1 runs the binaries already in BENCH_BUILD_DIR (an A/B against an older build).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000x100 1000x1000 100000x3 burst)
cycles=${BENCH_CYCLES:-6}
warmup=${BENCH_WARMUP:-3}

build=${BENCH_BUILD_DIR:-build-release}
if [[ -z ${BENCH_SKIP_BUILD:-} ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRESENCED_BUILD_TESTS=OFF \
    -DPRESENCED_BUILD_BENCH=ON "-DCMAKE_CXX_FLAGS=${BENCH_CXX_FLAGS:-}" >/dev/null
  cmake --build "$build" -j "$(nproc)" --target presenced batch_presence_server >/dev/null
fi
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
# scrape PATH: prints "SECONDS BYTES" of the fastest of 3 GETs of PATH on presenced.
scrape() {
  for _ in 1 2 3; do
    curl -sf -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$http_port$1"
  done | sort -n | head -1
}
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
  wait_for "grep -q 'http listening on' '$work/stderr'" 180
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

# write_config CHANNELS ABLY_PORT: presenced.yaml for the bench server, CHANNELS rooms.
write_config() {
  {
    printf 'ably:\n  endpoint: http://127.0.0.1:%s\n  max_response_bytes: 256MiB\n' "$2"
    printf '  request_timeout: 60s\n'
    [[ -z ${BENCH_ABLY_YAML:-} ]] || printf '  %s\n' "$BENCH_ABLY_YAML"
    printf 'poll:\n  interval: %s\nchannels:\n' "${BENCH_INTERVAL:-100ms}"
    awk -v n="$1" 'BEGIN { for (c = 0; c < n; c++) printf "  - room:%05d\n", c }'
    printf 'state:\n  dir: %s/state\nhttp:\n  listen: 127.0.0.1:0\n' "$work"
    printf 'metrics:\n  per_channel: false\noutput:\n  stdout: false\n'
  } >"$work/presenced.yaml"
}

# start_server CHANNELS MEMBERS: the bench server; sets server_pid and ably_port.
start_server() {
  "$server_bin" --channels "$1" --members "$2" --churn-percent 5 >"$work/server.out" &
  server_pid=$!
  wait_for "grep -q '^port ' '$work/server.out'" 120
  ably_port=$(awk '/^port / {print $2}' "$work/server.out")
}
stop_server() {
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=
}
# request_log: the bench server's requests per 100 ms slot ("SLOT COUNT" lines).
request_log() { curl -sf "http://127.0.0.1:$ably_port/requests"; }

# measure_cycles: waits for the warm-up, then measures BENCH_CYCLES cycles (CPU, I/O, counters,
# the requests' spread, RSS) and scrapes /metrics and the status page; sets the m_* results.
measure_cycles() {
  wait_for "(( \$(metric presenced_poll_cycles_total) >= $warmup ))" 600
  # Counters come from one scrape each, taken right after the CPU and I/O readings.
  local m0 m1 c0 t0 w0 b0 e0 r0 c1 t1 w1 b1 e1 r1 s0 s1 perf_pid=
  if [[ -n ${BENCH_PERF:-} ]]; then
    # shellcheck disable=SC2086 # BENCH_PERF_ARGS is a list of arguments
    perf record ${BENCH_PERF_ARGS:--g} -o "$BENCH_PERF" -p "$daemon_pid" 2>/dev/null &
    perf_pid=$!
  fi
  request_log >"$work/requests0"
  t0=$(cpu_ticks) w0=$(write_bytes) s0=$(now) m0=$(metrics)
  c0=$(metric presenced_poll_cycles_total "$m0") e0=$(metric presenced_events_total "$m0")
  b0=$(metric presenced_state_bytes_written_total "$m0")
  r0=$(metric presenced_api_requests_total "$m0")
  wait_for "(( \$(metric presenced_poll_cycles_total) >= c0 + $cycles ))" 600
  t1=$(cpu_ticks) w1=$(write_bytes) s1=$(now) m1=$(metrics)
  c1=$(metric presenced_poll_cycles_total "$m1") e1=$(metric presenced_events_total "$m1")
  b1=$(metric presenced_state_bytes_written_total "$m1")
  r1=$(metric presenced_api_requests_total "$m1")
  request_log >"$work/requests1"
  if [[ -n $perf_pid ]]; then kill -INT "$perf_pid" && wait "$perf_pid" || true; fi
  m_cycles=$((c1 - c0)) m_cpu=$((t1 - t0)) m_written=$((w1 - w0)) m_state_bytes=$((b1 - b0))
  m_events=$((e1 - e0)) m_requests=$((r1 - r0)) m_wall=$(echo "$s1 - $s0" | bc)
  m_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$daemon_pid/status")
  m_rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon_pid/status")
  m_spread=$(request_spread "$work/requests0" "$work/requests1")
  m_metrics=$(scrape /metrics) m_html=$(scrape /) m_json=$(scrape /api/v1/status)
}

# request_spread BEFORE AFTER: from two request logs, the requests of the measured window per
# second: "PEAK MEAN", PEAK the busiest 1 s (10 slots) and MEAN over the window.
request_spread() {
  awk 'NR == FNR {before[$1] = $2; next}
       {n = $2 - before[$1]; if (n <= 0) next; count[$1] = n
        if (first == "" || $1 < first) first = $1; if ($1 > last) last = $1; total += n}
       END {
         if (total == 0) {print "0 0"; exit}
         for (s = first; s <= last; s++) {
           w = 0; for (k = s; k < s + 10; k++) w += count[k]; if (w > peak) peak = w
         }
         printf "%d %.0f\n", peak, total / ((last - first + 1) / 10)
       }' "$1" "$2"
}

# measure_restart: a restart on the stored state (every member comes back from state.dir); sets
# m_restored (s to the "state: restored" line), m_first and m_first_cpu (s and CPU-s to the first
# finished cycle).
measure_restart() {
  start_daemon "${BENCH_PERF_RESTART:-}"
  wait_for "grep -q 'state: restored' '$work/stderr'" 120
  m_restored=$(since_start)
  wait_for "(( \$(metric presenced_poll_cycles_total) >= 1 ))" 120
  m_first=$(since_start)
  m_first_cpu=$(awk -v t="$(cpu_ticks)" -v tick="$tick" 'BEGIN {printf "%.2f", t / tick}')
  stop_daemon
}

# report_size SIZE TOTAL: prints the m_* results of one size.
report_size() {
  awk -v size="$1" -v total="$2" -v n="$m_cycles" -v cpu="$m_cpu" -v tick="$tick" \
    -v wb="$m_written" -v sb="$m_state_bytes" -v ev="$m_events" -v rq="$m_requests" \
    -v wall="$m_wall" -v hwm="$m_hwm" -v rss="$m_rss" -v rs="$m_restored" -v fs="$m_first" \
    -v fc="$m_first_cpu" -v spread="$m_spread" -v met="$m_metrics" -v html="$m_html" \
    -v json="$m_json" 'BEGIN {
      secs = cpu / tick; snaps = total * n / 1e6
      split(spread, sp, " "); split(met, me, " "); split(html, ht, " "); split(json, js, " ")
      printf "%s (%d members), %d cycles measured after warm-up:\n", size, total, n
      printf "  CPU                 %.3f CPU-s per M member-snapshots (%.2f M member-snapshots per CPU-s), %.3f CPU-s per cycle\n", secs / snaps, snaps / secs, secs / n
      printf "  wall per cycle      %.3f s\n", wall / n
      printf "  peak RSS (VmHWM)    %.1f MiB (%.1f MiB at the end of the measured cycles)\n", hwm / 1024, rss / 1024
      printf "  written per cycle   %.2f MB (kernel write_bytes), %.2f MB (presenced_state_bytes_written_total)\n", wb / n / 1e6, sb / n / 1e6
      printf "  events per cycle    %.0f\n", ev / n
      printf "  requests per cycle  %.1f; %d in the busiest second, %d per second on average\n", rq / n, sp[1], sp[2]
      printf "  /metrics            %.1f ms, %.1f KiB\n", me[1] * 1000, me[2] / 1024
      printf "  status page         %.1f ms, %.1f KiB (/); %.1f ms, %.1f KiB (/api/v1/status)\n", ht[1] * 1000, ht[2] / 1024, js[1] * 1000, js[2] / 1024
      printf "  start-up            %.2f s to restored state, %.2f s (%.2f CPU-s) to the first finished cycle\n", rs, fs, fc
    }'
}

# target NAME FIGURE MET: one row of the closing table (MET is yes or no).
targets=()
target() { targets+=("$1|$2|$3"); }
# check VALUE OP LIMIT: "yes" when VALUE OP LIMIT holds (OP is <, <=, >=).
check() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
  ok = (op == "<") ? v < l : (op == "<=") ? v <= l : v >= l; print ok ? "yes" : "no" }'; }

# measure_peer SIZE: the ably-js peer against the running bench server, the same warm-up and
# cycles; sets p_cpu (CPU-s per cycle), p_wall (s per cycle) and p_hwm (KiB), or p_skipped (why).
measure_peer() {
  local channels=${1%x*} members=${1#*x} out rc=0
  p_skipped=
  out=$(PEER_RAW=1 PEER_DIR=$build/peer bench/peer/run.sh "$ably_port" "$channels" "$members" \
    "$warmup" "$cycles" 2>"$work/peer.err") || rc=$?
  if ((rc != 0)); then
    p_skipped="$( ((rc == 2)) || printf 'the peer failed: '
      head -c 300 "$work/peer.err" | tr '\n' ' ' | sed 's/ *$//')"
    return
  fi
  read -r p_cpu p_wall p_hwm <<<"$out"
}

# report_peer SIZE: prints the peer's figures of one size and the ratios ably-js / presenced, and
# adds the issue's peer targets for that size to the table.
report_peer() {
  if [[ -n $p_skipped ]]; then
    echo "  ably-js peer        skipped: $p_skipped"
    return
  fi
  local cpu_x mem_x
  cpu_x=$(awk -v p="$p_cpu" -v c="$m_cpu" -v n="$m_cycles" -v t="$tick" \
    'BEGIN {printf "%.1f", p / (c / t / n)}')
  mem_x=$(awk -v p="$p_hwm" -v h="$m_hwm" 'BEGIN {printf "%.1f", p / h}')
  awk -v p="$p_cpu" -v w="$p_wall" -v h="$p_hwm" -v cx="$cpu_x" -v mx="$mem_x" 'BEGIN {
    printf "  ably-js peer        %.3f CPU-s per cycle, %.3f s wall per cycle, peak RSS %.1f MiB\n", p, w, h / 1024
    printf "  ably-js / presenced %sx CPU per cycle, %sx peak RSS\n", cx, mx
  }'
  local name=$1
  [[ $1 == 1000x1000 ]] && name="1 M members"
  [[ $1 == 1000x100 ]] && name="100 k members"
  target "$name CPU >= 10x less than ably-js" "${cpu_x}x" "$(check "$cpu_x" '>=' 10)"
  if [[ $1 == 1000x1000 || $1 == 100000x3 ]]; then
    target "$name memory >= 3x less than ably-js" "${mem_x}x" "$(check "$mem_x" '>=' 3)"
  fi
}

# record_targets SIZE TOTAL: the issue's targets this size measures.
record_targets() {
  local secs per_cycle msnaps hwm_mib met_ms met_kib html_ms json_ms
  secs=$(awk -v c="$m_cpu" -v t="$tick" 'BEGIN {print c / t}')
  per_cycle=$(awk -v s="$secs" -v n="$m_cycles" 'BEGIN {printf "%.3f", s / n}')
  msnaps=$(awk -v s="$secs" -v n="$m_cycles" -v t="$2" 'BEGIN {printf "%.2f", t * n / 1e6 / s}')
  hwm_mib=$(awk -v h="$m_hwm" 'BEGIN {printf "%.0f", h / 1024}')
  read -r met_ms met_kib < <(awk -v m="$m_metrics" 'BEGIN {
    split(m, a, " "); printf "%.1f %.1f\n", a[1] * 1000, a[2] / 1024 }')
  html_ms=$(awk -v m="$m_html" 'BEGIN {split(m, a, " "); printf "%.1f", a[1] * 1000}')
  json_ms=$(awk -v m="$m_json" 'BEGIN {split(m, a, " "); printf "%.1f", a[1] * 1000}')
  case $1 in
    100000x3)
      target "100000x3 CPU per cycle <= 0.15 CPU-s" "$per_cycle" "$(check "$per_cycle" '<=' 0.15)"
      target "100000x3 peak RSS <= 140 MiB" "$hwm_mib MiB" "$(check "$hwm_mib" '<=' 140)"
      target "100000x3 /metrics < 50 ms" "$met_ms ms" "$(check "$met_ms" '<' 50)"
      target "100000x3 /metrics < 64 KiB" "$met_kib KiB" "$(check "$met_kib" '<' 64)"
      local slowest
      slowest=$(awk -v a="$html_ms" -v b="$json_ms" 'BEGIN {print (a > b ? a : b)}')
      target "100000x3 status page < 100 ms" "$html_ms ms (/), $json_ms ms (api)" \
        "$(check "$slowest" '<' 100)"
      ;;
    1000x1000)
      target "1 M members >= 3 M member-snapshots/CPU-s" "$msnaps M" "$(check "$msnaps" '>=' 3)"
      target "1 M members peak RSS <= 250 MiB" "$hwm_mib MiB" "$(check "$hwm_mib" '<=' 250)"
      local slower
      slower=$(awk -v a="$m_first" -v b="$m_first_cpu" 'BEGIN {print (a > b ? a : b)}')
      target "1 M members restart <= 2 s to the first cycle" \
        "$m_first s wall, $m_first_cpu CPU-s" "$(check "$slower" '<=' 2)"
      ;;
  esac
}

run_size() {
  local channels=${1%x*} members=${1#*x}
  local total=$((channels * members))
  start_server "$channels" "$members"
  write_config "$channels" "$ably_port"
  rm -rf "$work/state"
  start_daemon
  measure_cycles
  stop_daemon
  measure_restart
  [[ -z ${BENCH_VERBOSE:-} ]] || cat "$work/stderr" >&2
  [[ ${BENCH_PEER:-1} == 0 ]] || measure_peer "$1"
  stop_server
  report_size "$1" "$total"
  record_targets "$1" "$total"
  [[ ${BENCH_PEER:-1} == 0 ]] || report_peer "$1"
}

for size in "${sizes[@]}"; do
  if [[ $size == burst ]]; then
    # Hook for the burst benchmark: bench/e2e/burst.sh defines run_burst, which may use every
    # function above (start_server, write_config, start_daemon, metric, target, …) and adds its
    # rows to the table with `target`.
    if [[ -f bench/e2e/burst.sh ]]; then
      # shellcheck source=/dev/null
      source bench/e2e/burst.sh
      run_burst
    fi
    continue
  fi
  run_size "$size"
done

if [[ ${#targets[@]} -gt 0 ]]; then
  printf '\n%-48s | %-32s | %s\n' "target" "figure" "met?"
  for row in "${targets[@]}"; do
    IFS='|' read -r name figure met <<<"$row"
    printf '%-48s | %-32s | %s\n' "$name" "$figure" "$met"
  done
fi
