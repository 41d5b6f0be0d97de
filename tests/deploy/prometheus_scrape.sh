#!/usr/bin/env bash
# Runs presenced against fake_ably, points a real Prometheus server at it (1s scrapes, with
# deploy/prometheus/alerts.yml loaded) and waits until presenced's series are queryable.
# Usage: prometheus_scrape.sh PRESENCED FAKE_ABLY ALERTS_YML
set -euo pipefail
(($# == 3)) || { echo "usage: $0 PRESENCED FAKE_ABLY ALERTS_YML" >&2; exit 2; }
source "$(dirname "$0")/daemon_env.sh"
require prometheus python3
alerts=$(realpath "$3")

start_daemons "$1" "$2"

cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["${alerts}"]
scrape_configs:
  - job_name: presenced
    static_configs:
      - targets: ["127.0.0.1:${PRESENCED_PORT}"]
YAML

# Prometheus has no "listen on port 0": take a free port from the kernel and retry if it was taken meanwhile.
for attempt in 1 2 3; do
  PROM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rm -rf "$WORK/tsdb"
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:${PROM_PORT}" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
  PIDS+=($!)
  prom_pid=$!
  deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)) && kill -0 "$prom_pid" 2>/dev/null; do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${PROM_PORT}/-/ready" || true)" == 200 ]] \
      && break 2
    sleep 0.2
  done
  kill -0 "$prom_pid" 2>/dev/null || { echo "prometheus exited (attempt $attempt), retrying" >&2; continue; }
  fail "prometheus on port $PROM_PORT not ready within 30s"
done
kill -0 "$prom_pid" 2>/dev/null || fail "prometheus did not start"

# query EXPR: prints the number of series in the result of an instant query.
query() {
  curl -fsS --max-time 5 -G "http://127.0.0.1:${PROM_PORT}/api/v1/query" --data-urlencode "query=$1" \
    | python3 -c 'import json, sys; r = json.load(sys.stdin); assert r["status"] == "success", r; print(len(r["data"]["result"]))'
}

pending=('up{job="presenced"} == 1' 'sum(presenced_members{job="presenced"}) > 0' 'presenced_events_total{job="presenced"}')
deadline=$((SECONDS + 60))
while ((${#pending[@]} > 0)); do
  still=()
  for expr in "${pending[@]}"; do
    n=$(query "$expr" || echo 0)
    ((n > 0)) || still+=("$expr")
  done
  pending=("${still[@]+"${still[@]}"}")
  ((${#pending[@]} == 0)) && break
  kill -0 "$PRESENCED_PID" 2>/dev/null || fail "presenced exited"
  ((SECONDS < deadline)) || fail "after 60s Prometheus still has no result for: ${pending[*]}"
  sleep 1
done
echo "OK: Prometheus scraped presenced on port $PRESENCED_PORT (members, events, up)"
