#!/usr/bin/env bash
# Runs presenced against fake_ably and lints its live /metrics with `promtool check metrics`; also checks
# that the CONTRACT §7 series that exist from the first cycle on, and the process_* metrics, are all
# exported.
# Usage: metrics_lint.sh PRESENCED FAKE_ABLY
set -euo pipefail
(($# == 2)) || { echo "usage: $0 PRESENCED FAKE_ABLY" >&2; exit 2; }
source "$(dirname "$0")/daemon_env.sh"
require promtool

start_daemons "$1" "$2"
curl -fsS --max-time 5 "$PRESENCED_URL/metrics" >"$WORK/metrics.txt" || fail "GET /metrics failed"

promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.log" 2>&1 \
  || fail "promtool check metrics found problems: $(cat "$WORK/promtool.log")"

missing=()
for name in presenced_build_info presenced_channels presenced_channels_stale presenced_members \
  presenced_clients presenced_events_total presenced_poll_cycles_total \
  presenced_poll_cycle_duration_seconds presenced_poll_overruns_total presenced_api_requests_total \
  presenced_api_request_duration_seconds presenced_ably_billable_messages_total \
  presenced_channel_last_success_timestamp_seconds presenced_webhook_pending_events \
  presenced_webhook_oldest_pending_age_seconds presenced_webhook_dead_letter_events \
  presenced_webhook_events_delivered_total presenced_config_last_reload_successful \
  presenced_config_last_reload_success_timestamp_seconds process_cpu_seconds_total \
  process_resident_memory_bytes process_virtual_memory_bytes process_open_fds process_max_fds \
  process_start_time_seconds; do
  grep -q "^# TYPE $name " "$WORK/metrics.txt" || missing+=("$name")
done
((${#missing[@]} == 0)) || fail "/metrics lacks: ${missing[*]}"
grep -q '^presenced_events_total{action="enter"}' "$WORK/metrics.txt" \
  || fail "presenced_events_total has no action=\"enter\" series"
echo "OK: /metrics passes promtool check metrics ($(grep -c -v '^#' "$WORK/metrics.txt") samples)"
