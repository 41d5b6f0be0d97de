#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs presenced, printing
# events as JSON lines. Metrics: http://127.0.0.1:9847/metrics. Stop with Ctrl-C.
#  - Without ABLY_API_KEY it starts the bundled fake Ably server in --simulate mode (50 channels,
#    members coming and going) and points presenced at it.
#  - With ABLY_API_KEY set it polls Ably for the channels in $PRESENCED_DEMO_CHANNELS
#    (comma-separated, default chat:lobby) every 15s, with no webhook, state in ./.demo-state.
#    $PRESENCED_CONFIG, if set, is run instead, as it is.
#  - `scripts/demo.sh --print-config` only prints the config the real-key demo would run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The config of the demo against Ably: every event on stdout, nothing posted anywhere.
real_key_config() {
  cat <<YAML
ably:
  key_env: ABLY_API_KEY
poll:
  interval: 15s                      # Ably bills one message per member returned, per poll
channels: [${PRESENCED_DEMO_CHANNELS:-chat:lobby}]
output:
  stdout: true
state:
  dir: $PWD/.demo-state
http:
  listen: 127.0.0.1:9847
YAML
}

if [ "${1:-}" = "--print-config" ]; then
  real_key_config
  exit 0
fi

scripts/install-deps.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ -n "${ABLY_API_KEY:-}" ]; then
  if [ -n "${PRESENCED_CONFIG:-}" ]; then
    echo "demo: running against Ably with $PRESENCED_CONFIG" >&2
    exec build/daemon/presenced --config "$PRESENCED_CONFIG"
  fi
  mkdir -p .demo-state
  real_key_config >.demo-state/presenced.yaml
  echo "demo: polling Ably for ${PRESENCED_DEMO_CHANNELS:-chat:lobby} every 15s; events below" >&2
  exec build/daemon/presenced --config .demo-state/presenced.yaml
fi

workdir=$(mktemp -d)
fake_pid=""
cleanup() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

key="demo.key:demo-secret"
build/tests/fakes/fake_ably/fake_ably --port 0 --key "$key" \
  --simulate channels=50,members=20,churn=5,seed=42,prefix=room: >"$workdir/fake.out" &
fake_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$workdir/fake.out" 2>/dev/null && break
  sleep 0.1
done
endpoint="http://$(sed -n 's/.*listening on //p' "$workdir/fake.out" | head -n1)"
cat >"$workdir/presenced.yaml" <<YAML
ably:
  endpoint: $endpoint
poll:
  interval: 2s
discovery:
  prefixes: ["room:"]
  interval: 10s
output:
  stdout: true
state:
  dir: $workdir/state   # a fresh fake starts fresh: no stored snapshots to diff against
http:
  listen: 127.0.0.1:9847
YAML
echo "demo: fake Ably at $endpoint; events below, metrics at http://127.0.0.1:9847/metrics" >&2
ABLY_API_KEY="$key" build/daemon/presenced --config "$workdir/presenced.yaml"
