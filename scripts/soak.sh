#!/usr/bin/env bash
# Soak benchmark: runs the Release daemon for MINUTES (default 10) against fake_ably --simulate
# (500 channels x 50 members, 200 member changes/s, poll every 1s) and a webhook receiver that
# flaps (up 60s, refusing 30s). Every 30s it samples presenced's resident memory, open file
# descriptors, SQLite file and WAL sizes; at the end it prints their slopes and fails (exit 1)
# when one grows without bound (bench/soak/analyze.py says how that is decided).
# Not part of CI: it needs the machine for MINUTES. Usage: scripts/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
period=${SOAK_SAMPLE_SECONDS:-30}
scripts/install-deps.sh >/dev/null
cmake -S . -B build-soak -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRESENCED_BUILD_BENCH=OFF >/dev/null
cmake --build build-soak -j "$(nproc)" --target presenced fake_ably

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Waits up to 20s for FILE to contain PATTERN, then prints the text after it.
await() {
  for _ in $(seq 200); do
    if grep -q "$2" "$1" 2>/dev/null; then sed -n "s/.*$2//p" "$1" | head -n1; return 0; fi
    sleep 0.1
  done
  echo "soak: no '$2' in $1" >&2
  cat "$1" >&2
  return 1
}

key="soak.key:soak-secret"
build-soak/tests/fakes/fake_ably/fake_ably --port 0 --key "$key" \
  --simulate channels=500,members=50,churn=200,seed=7,prefix=soak: >"$work/fake.out" 2>&1 &
pids+=($!)
python3 bench/soak/flapping_receiver.py --up 60 --down 30 --stats "$work/receiver.json" \
  >"$work/receiver.out" 2>&1 &
pids+=($!)
ably=$(await "$work/fake.out" "listening on ")
receiver=$(await "$work/receiver.out" "listening on ")

cat >"$work/presenced.yaml" <<YAML
ably: {endpoint: "http://$ably"}
poll: {interval: 1s}
discovery: {prefixes: ["soak:"], interval: 30s}
state: {dir: "$work/state"}
http: {listen: "127.0.0.1:0"}
metrics: {per_channel: true}
webhooks:
  - name: flapping
    url: http://$receiver/hook
    format: events
    batch: {max_events: 500, max_delay: 200ms}
    retry: {initial_backoff: 500ms, max_backoff: 5s}
log: {level: info}
YAML
mkdir -p "$work/state"
ABLY_API_KEY="$key" build-soak/daemon/presenced --config "$work/presenced.yaml" \
  >/dev/null 2>"$work/presenced.err" &
daemon=$!
pids+=("$daemon")

samples=$work/samples.tsv
metrics_port=""
echo "soak: ${minutes} min, a sample every ${period}s (pid $daemon)"
start=$SECONDS
end=$((start + minutes * 60))
while true; do
  kill -0 "$daemon" 2>/dev/null || { echo "soak: presenced died" >&2; cat "$work/presenced.err" >&2; exit 1; }
  rss=$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$daemon/status")
  fds=$(find "/proc/$daemon/fd" -mindepth 1 | wc -l)
  db=$(stat -c %s "$work/state/presenced.db" 2>/dev/null || echo 0)
  wal=$(stat -c %s "$work/state/presenced.db-wal" 2>/dev/null || echo 0)
  if [ -z "$metrics_port" ]; then
    metrics_port=$(sed -n 's/.*http listening on .*:\([0-9]*\)$/\1/p' "$work/presenced.err" | head -n1)
  fi
  events=0
  if [ -n "$metrics_port" ]; then
    events=$(curl -fsS "http://127.0.0.1:$metrics_port/metrics" |
      awk '/^presenced_events_total/ {sum += $2} END {printf "%d", sum}')
  fi
  echo "$((SECONDS - start)) $rss $fds $db $wal $events" | tee -a "$samples"
  [ "$SECONDS" -ge "$end" ] && break
  sleep "$period"
done
echo "receiver: $(cat "$work/receiver.json" 2>/dev/null)"
python3 bench/soak/analyze.py "$samples"
