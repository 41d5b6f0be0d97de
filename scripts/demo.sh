#!/usr/bin/env bash
# The README's first command: installs what is missing (only what the daemon and the fake Ably
# server need), builds those two targets in build/ (one progress line on stderr, the details in
# build/demo-build.log), and runs presenced, printing events as JSON lines on stdout and nothing
# else: `scripts/demo.sh | jq` works. The status page is http://127.0.0.1:9847/.
# About 3 minutes on a fresh 2-core Debian 12 machine, package installs included; seconds after.
#  - Without ABLY_API_KEY it starts the bundled fake Ably server in --simulate mode (50 channels,
#    members coming and going) and points presenced at it.
#  - With ABLY_API_KEY set it polls Ably for the channels in $PRESENCED_DEMO_CHANNELS
#    (comma-separated, default chat:lobby) every 15s, with no webhook, state in ./.demo-state.
#    $PRESENCED_CONFIG, if set, is run instead, as it is.
#  - `scripts/demo.sh --print-config` only prints the config the real-key demo would run.
# Ctrl-C, SIGINT or SIGTERM to this script stops presenced and the fake Ably server (SIGTERM, then
# waits for them) and removes the demo's temporary directory.
# For tests: PRESENCED_DEMO_SKIP_BUILD=1 uses the binaries already in $PRESENCED_DEMO_BUILD_DIR
# (default build), and PRESENCED_DEMO_LISTEN replaces 127.0.0.1:9847.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${PRESENCED_DEMO_BUILD_DIR:-build}
listen=${PRESENCED_DEMO_LISTEN:-127.0.0.1:9847}

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
  listen: $listen
YAML
}

if [ "${1:-}" = "--print-config" ]; then
  real_key_config
  exit 0
fi

say() { echo "demo: $*" >&2; }
workdir="" build_pid="" fake_pid="" presenced_pid=""
# Stops what this script started (the build, or presenced and the fake Ably server; presenced
# stops cleanly on SIGTERM) and waits for it. Set before anything starts, so that a stop during
# the build ends the compilers too. A package install is let finish: dpkg must not be cut off.
stop() {
  trap - INT TERM EXIT
  for pid in $build_pid $presenced_pid $fake_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $build_pid $presenced_pid $fake_pid; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$workdir" ]; then rm -rf "$workdir"; fi
  say "stopped"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

started=$SECONDS
if [ -z "${PRESENCED_DEMO_SKIP_BUILD:-}" ]; then
  scripts/install-deps.sh --demo
  # The standard flags of build/ (scripts/build.sh): scripts/test.sh reuses these objects. In the
  # background, so that a signal reaches the trap at once.
  scripts/build.sh --targets "presenced fake_ably" --progress "$build_dir/demo-build.log" \
    "$build_dir" &
  build_pid=$!
  wait "$build_pid"
  build_pid=""
fi
presenced_bin=$build_dir/daemon/presenced
say "presenced is $PWD/$presenced_bin (ready in $((SECONDS - started))s); status page http://$listen/"

if [ -n "${ABLY_API_KEY:-}" ]; then
  config=${PRESENCED_CONFIG:-}
  if [ -z "$config" ]; then
    mkdir -p .demo-state
    real_key_config >.demo-state/presenced.yaml
    config=.demo-state/presenced.yaml
    say "polling Ably for ${PRESENCED_DEMO_CHANNELS:-chat:lobby} every 15s; events below; Ctrl-C stops"
  fi
  trap - INT TERM EXIT
  exec "$presenced_bin" --config "$config"
fi

workdir=$(mktemp -d)
key="demo.key:demo-secret"
# Background commands of a script ignore SIGINT: stop() ends them with SIGTERM.
"$build_dir/tests/fakes/fake_ably/fake_ably" --port 0 --key "$key" \
  --simulate channels=50,members=20,churn=5,seed=42,prefix=room: >"$workdir/fake.out" 2>&1 &
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
  listen: $listen
YAML
say "fake Ably at $endpoint; events below (JSON lines on stdout); Ctrl-C stops"
ABLY_API_KEY="$key" "$presenced_bin" --config "$workdir/presenced.yaml" &
presenced_pid=$!
status=0
wait "$presenced_pid" || status=$?
presenced_pid=""
exit "$status"
