# Burst benchmark: sourced by scripts/bench-e2e.sh, which calls `run_burst` for the size `burst`
# (it uses that script's helpers: wait_for, metric, metrics, now, cpu_ticks, start_daemon,
# stop_daemon, target, check, and its $build, $presenced, $server_bin, $work, $tick).
#
# A region reconnect: every member leaves and re-enters within one cycle. The Release presenced
# polls bench/e2e/batch_presence_server --burst-after N (5 % churn per cycle, then every member
# reconnects at once and the channels stay still) with the state store on and one webhook
# (format: events, the CONTRACT's default batch of 100 events) pointing at bench/e2e/webhook_sink,
# which answers 200 at once. Printed:
#   - peak RSS of quiet cycles vs of the burst cycle and its delivery (VmHWM, reset through
#     /proc/PID/clear_refs before each; target: burst <= 2x quiet), and VmHWM since start;
#   - the burst cycle's CPU-s, the wall time from the last quiet cycle to the burst's commit
#     (it includes the wait for the cycle's slot) and the cycle's own duration;
#   - delivery: events/s from the burst's commit until the receiver holds every event derived
#     (target >= 50,000 events/s) and the outbox depth high-water mark (polled every 20 ms).
# Env: BENCH_BURST_SIZE (default 1000x1000), BENCH_BURST_AFTER (quiet cycles first, default 5),
# BENCH_BURST_INTERVAL (poll.interval, default 2s), BENCH_BURST_BATCH (webhook batch max_events,
# default 100), BENCH_PERF_BURST=FILE (perf record -g of presenced from the burst to the end of
# delivery), BENCH_BURST_PRESENCED=BINARY (another presenced, for an A/B run against a build of an
# older commit).

# sink_count FIELD: one field of the sink's GET /count ("events", "batches", "first_ms", "last_ms").
sink_count() {
  curl -sf "http://127.0.0.1:$sink_port/count" | awk -v f="$1" '{for (i = 1; i < NF; i += 2) if ($i == f) print $(i + 1)}'
}
# metric_sum NAME EXPOSITION: like metric, to the millisecond (a histogram's _sum in seconds).
metric_sum() {
  printf '%s\n' "$2" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $2} END {printf "%.3f", s}'
}
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$daemon_pid/status"; }
# reset_hwm: VmHWM starts again from the current RSS (Linux >= 4.0).
reset_hwm() { echo 5 >"/proc/$daemon_pid/clear_refs"; }

run_burst() {
  local size=${BENCH_BURST_SIZE:-1000x1000} after=${BENCH_BURST_AFTER:-5}
  local channels=${size%x*} members=${size#*x}
  cmake --build "$build" -j "$(nproc)" --target bench_webhook_sink >/dev/null
  presenced=${BENCH_BURST_PRESENCED:-$presenced}
  "$server_bin" --channels "$channels" --members "$members" --churn-percent 5 \
    --burst-after "$after" >"$work/server.out" &
  server_pid=$!
  "$build/bench/bench_webhook_sink" >"$work/sink.out" &
  sink_pid=$!
  trap '[[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null; cleanup' EXIT
  wait_for "grep -q '^port ' '$work/server.out'" 300
  wait_for "grep -q '^port ' '$work/sink.out'" 60
  local ably_port
  ably_port=$(awk '/^port / {print $2}' "$work/server.out")
  sink_port=$(awk '/^port / {print $2}' "$work/sink.out")
  {
    printf 'ably:\n  endpoint: http://127.0.0.1:%s\n  max_response_bytes: 256MiB\n' "$ably_port"
    printf '  request_timeout: 60s\n'
    printf 'poll:\n  interval: %s\nchannels:\n' "${BENCH_BURST_INTERVAL:-2s}"
    for ((c = 0; c < channels; c++)); do printf '  - room:%05d\n' "$c"; done
    printf 'state:\n  dir: %s/state\nhttp:\n  listen: 127.0.0.1:0\n' "$work"
    printf 'metrics:\n  per_channel: false\noutput:\n  stdout: false\n'
    printf 'webhooks:\n  - name: sink\n    url: http://127.0.0.1:%s/\n    format: events\n' "$sink_port"
    printf '    batch: {max_events: %s, max_delay: 1s}\n' "${BENCH_BURST_BATCH:-100}"
  } >"$work/presenced.yaml"
  rm -rf "$work/state"

  start_daemon
  # Quiet cycles: the first one is the baseline, then 5 % churn each, delivered as they come.
  wait_for "(( \$(metric presenced_poll_cycles_total) >= $after - 2 ))" 600
  reset_hwm
  wait_for "(( \$(metric presenced_poll_cycles_total) >= $after ))" 600
  local quiet_hwm e0 s0 t0 w0 d0 m0
  quiet_hwm=$(hwm_kib)
  reset_hwm
  m0=$(metrics)
  t0=$(cpu_ticks) w0=$(now) e0=$(metric presenced_events_total "$m0")
  d0=$(metric_sum presenced_poll_cycle_duration_seconds_sum "$m0")
  local perf_pid=
  if [[ -n ${BENCH_PERF_BURST:-} ]]; then
    perf record -g -o "$BENCH_PERF_BURST" -p "$daemon_pid" 2>/dev/null &
    perf_pid=$!
  fi
  # The burst cycle: committed once the cycle counter moves.
  local depth=0 d c1 t1 w1 e1 d1 m1
  while true; do
    m1=$(metrics)
    d=$(metric presenced_webhook_pending_events "$m1")
    ((d > depth)) && depth=$d
    (($(metric presenced_poll_cycles_total "$m1") > after)) && break
    sleep 0.02
  done
  t1=$(cpu_ticks) w1=$(now) e1=$(metric presenced_events_total "$m1")
  d1=$(metric_sum presenced_poll_cycle_duration_seconds_sum "$m1")
  local delivered_at_commit total
  delivered_at_commit=$(sink_count events)
  total=$(metric presenced_events_total "$m1")
  # Delivery: until the receiver holds every event derived so far.
  local deadline=$(($(date +%s) + 900))
  while (($(sink_count events) < total)); do
    d=$(metric presenced_webhook_pending_events)
    ((d > depth)) && depth=$d
    (($(date +%s) < deadline)) || { echo "burst: delivery timed out" >&2; break; }
    sleep 0.02
  done
  local t2 last_ms delivered
  t2=$(cpu_ticks) last_ms=$(sink_count last_ms) delivered=$(sink_count events)
  if [[ -n $perf_pid ]]; then kill -INT "$perf_pid" && wait "$perf_pid" || true; fi
  local burst_hwm
  burst_hwm=$(hwm_kib)
  stop_daemon
  kill "$sink_pid" "$server_pid" && wait "$sink_pid" "$server_pid" 2>/dev/null || true
  sink_pid= server_pid=

  awk -v size="$size" -v ev="$((e1 - e0))" -v qh="$quiet_hwm" -v bh="$burst_hwm" \
    -v cpu="$((t1 - t0))" -v dcpu="$((t2 - t1))" -v tick="$tick" -v wall="$(echo "$w1 - $w0" | bc)" \
    -v dur="$(echo "$d1 - $d0" | bc)" -v n="$((delivered - delivered_at_commit))" \
    -v dwall="$(echo "$last_ms / 1000 - $w1" | bc -l)" -v depth="$depth" 'BEGIN {
      printf "burst %s: every member leaves and re-enters in one cycle (%d events)\n", size, ev
      printf "  peak RSS            quiet cycles %.1f MiB, burst cycle + delivery %.1f MiB (%.2fx; target <= 2x)\n", qh / 1024, bh / 1024, bh / qh
      printf "  burst cycle         %.2f CPU-s, %.2f s wall to committed (the cycle itself: %.2f s, presenced_poll_cycle_duration_seconds)\n", cpu / tick, wall, dur
      printf "  delivery            %d events in %.2f s after the commit: %.0f events/s (target >= 50000), %.2f CPU-s\n", n, dwall, n / dwall, dcpu / tick
      printf "  outbox depth        %d events at most (presenced_webhook_pending_events, polled)\n", depth
    }'
  # The closing table of bench-e2e.sh (its `target`, when defined).
  if declare -F target >/dev/null; then
    local ratio rate
    ratio=$(awk -v q="$quiet_hwm" -v b="$burst_hwm" 'BEGIN {printf "%.2f", b / q}')
    rate=$(awk -v n="$((delivered - delivered_at_commit))" -v s="$(echo "$last_ms / 1000 - $w1" | bc -l)" \
      'BEGIN {printf "%.0f", n / s}')
    target "burst $size peak RSS <= 2x a quiet cycle" "${ratio}x" "$(check "$ratio" '<=' 2)"
    target "burst $size delivery >= 50,000 events/s" "$rate events/s" "$(check "$rate" '>=' 50000)"
  fi
}
