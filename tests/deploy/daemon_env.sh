# Sourced by metrics_lint.sh and prometheus_scrape.sh: starts fake_ably and presenced in a temp dir and
# tears everything down on exit. Every wait polls with a deadline; every failure says what and shows logs.
#   start_daemons PRESENCED FAKE_ABLY   sets WORK, FAKE_PORT, PRESENCED_PORT, PRESENCED_URL
#   fail MESSAGE                        prints MESSAGE and the logs, exits 1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/presenced-deploy-test.XXXXXX")
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # Give each process 10s to stop cleanly, then force it.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  local log
  for log in "$WORK"/*.log; do
    [[ -f "$log" ]] || continue
    echo "---- last lines of $(basename "$log") ----" >&2
    tail -n 30 "$log" >&2
  done
  exit 1
}

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "required tool '$tool' not found in PATH"
  done
}

# wait_for_line FILE REGEX SECONDS PID: prints the first match of REGEX (grep -E -o) in FILE.
wait_for_line() {
  local file=$1 regex=$2 seconds=$3 pid=$4 match deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    match=$(grep -E -o -m1 "$regex" "$file" 2>/dev/null || true)
    if [[ -n "$match" ]]; then echo "$match"; return 0; fi
    kill -0 "$pid" 2>/dev/null || fail "process $pid exited before logging /$regex/ in $(basename "$file")"
    sleep 0.1
  done
  fail "no line matching /$regex/ in $(basename "$file") within ${seconds}s"
}

# wait_for_http URL SECONDS PID: waits until URL answers 200.
wait_for_http() {
  local url=$1 seconds=$2 pid=$3 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]] && return 0
    kill -0 "$pid" 2>/dev/null || fail "process $pid exited while waiting for $url"
    sleep 0.2
  done
  fail "$url did not answer 200 within ${seconds}s"
}

start_daemons() {
  local presenced=$1 fake_ably=$2
  [[ -x "$presenced" ]] || fail "presenced binary not found: $presenced"
  [[ -x "$fake_ably" ]] || fail "fake_ably binary not found: $fake_ably"
  require curl

  # fake_ably flushes its port line itself (no stdbuf: its LD_PRELOAD breaks ASan builds).
  "$fake_ably" --port 0 --key fake.key:secret \
    --simulate channels=20,members=5,churn=5,seed=1 >"$WORK/fake_ably.log" 2>&1 &
  PIDS+=($!)
  local fake_pid=$!
  FAKE_PORT=$(wait_for_line "$WORK/fake_ably.log" 'fake_ably listening on 127\.0\.0\.1:[0-9]+' 20 "$fake_pid")
  FAKE_PORT=${FAKE_PORT##*:}

  mkdir -p "$WORK/state"
  cat >"$WORK/presenced.yaml" <<YAML
ably:
  key_env: ABLY_API_KEY
  endpoint: http://127.0.0.1:${FAKE_PORT}
poll:
  interval: 1s
discovery:
  prefixes: ["sim:"]
  interval: 5s
state:
  dir: ${WORK}/state
http:
  listen: 127.0.0.1:0
webhooks:
  # A sink that answers 404 (fake_ably has no such route): exercises the webhook series.
  - name: sink
    url: http://127.0.0.1:${FAKE_PORT}/webhook-sink
    retry: {initial_backoff: 1s, max_backoff: 5s, give_up_after: 1h}
YAML

  ABLY_API_KEY=fake.key:secret "$presenced" --config "$WORK/presenced.yaml" >"$WORK/presenced.stdout.log" \
    2>"$WORK/presenced.log" &
  PIDS+=($!)
  PRESENCED_PID=$!
  PRESENCED_PORT=$(wait_for_line "$WORK/presenced.log" 'http listening on 127\.0\.0\.1:[0-9]+' 20 "$PRESENCED_PID")
  PRESENCED_PORT=${PRESENCED_PORT##*:}
  PRESENCED_URL="http://127.0.0.1:${PRESENCED_PORT}"
  wait_for_http "$PRESENCED_URL/-/ready" 30 "$PRESENCED_PID"
}
