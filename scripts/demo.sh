#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs presenced.
#  - Without ABLY_API_KEY it starts the bundled fake Ably server in --simulate mode (50 channels,
#    members coming and going) and points presenced at it, printing events as JSON lines.
#  - With ABLY_API_KEY set it runs against Ably with $PRESENCED_CONFIG
#    (default: config/presenced.example.yaml) and a state dir under ./.demo-state.
# Metrics: http://127.0.0.1:9847/metrics. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ -n "${ABLY_API_KEY:-}" ]; then
  config=${PRESENCED_CONFIG:-config/presenced.example.yaml}
  mkdir -p .demo-state
  echo "demo: running against Ably with $config (state in .demo-state)" >&2
  STATE_DIRECTORY="$PWD/.demo-state" exec build/daemon/presenced --config "$config"
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
