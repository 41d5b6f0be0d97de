#!/usr/bin/env bash
# Runs the ably-js peer (bench/peer/poller.cjs) against a batch_presence_server on PORT for one
# size and prints its CPU per cycle, wall per cycle and peak RSS, measured as scripts/bench-e2e.sh
# measures presenced (utime+stime from /proc/PID/stat over CYCLES cycles after WARMUP, VmHWM).
# ably-js is installed from the npm registry into PEER_DIR on first use (version pinned below).
# PEER_PER_REQUEST (default 100, ably.max_channels_per_request) sets the channels a request.
# With PEER_RAW=1 it prints one line "CPU_S_PER_CYCLE WALL_S_PER_CYCLE PEAK_RSS_KIB" instead.
# Exits 2 with the reason on stderr when the peer cannot run (no node or npm, the install
# failed); exits 1 when the peer failed while running.
# Usage: bench/peer/run.sh PORT CHANNELS MEMBERS [WARMUP] [CYCLES] (MEMBERS names the size only)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=$1 channels=$2 warmup=${4:-3} cycles=${5:-6}
peer_dir=${PEER_DIR:-$here/../../build-release/peer}
ably_version=2.26.0
command -v node >/dev/null || { echo "node is not installed" >&2; exit 2; }
if [[ ! -f $peer_dir/node_modules/ably/package.json ]]; then
  command -v npm >/dev/null || { echo "npm is not installed (needed to install ably-js)" >&2; exit 2; }
  mkdir -p "$peer_dir"
  if ! (cd "$peer_dir" && timeout 300 npm install --silent --no-audit --no-fund \
    "ably@$ably_version" >/dev/null 2>&1); then
    echo "npm install ably@$ably_version failed (no registry?)" >&2
    exit 2
  fi
fi
# The peer's diff must be presenced's (enter, update, leave) before its cost means anything.
node "$here/diff_test.cjs" >/dev/null || { echo "bench/peer/diff_test.cjs failed" >&2; exit 1; }
tick=$(getconf CLK_TCK)
out=$(mktemp)
# poll.interval 100ms and ably.max_in_flight 4, as scripts/bench-e2e.sh configures presenced.
NODE_PATH=$peer_dir/node_modules node "$here/poller.cjs" "$port" "$channels" 100 4 \
  "${PEER_PER_REQUEST:-100}" >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
cycles_done() { wc -l <"$out"; }
wait_cycles() {
  local end=$(($(date +%s) + 600))
  until (($(cycles_done) >= $1)); do
    kill -0 "$pid" 2>/dev/null || { echo "ably-js peer exited:" >&2; cat "$out" >&2; exit 1; }
    (($(date +%s) < end)) || { echo "ably-js peer: timed out" >&2; exit 1; }
    sleep 0.05
  done
}
wait_cycles "$warmup"
c0=$(cycles_done) t0=$(awk '{print $14 + $15}' "/proc/$pid/stat") s0=$(date +%s.%N)
wait_cycles $((c0 + cycles))
c1=$(cycles_done) t1=$(awk '{print $14 + $15}' "/proc/$pid/stat") s1=$(date +%s.%N)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
awk -v n=$((c1 - c0)) -v cpu=$((t1 - t0)) -v tick="$tick" -v hwm="$hwm" -v wall="$s1 - $s0" \
  -v raw="${PEER_RAW:-}" -v version="$ably_version" -v last="$(tail -1 "$out")" 'BEGIN {
    split(wall, w, " - "); wall = (w[1] - w[2]) / n
    if (raw != "") { printf "%.4f %.3f %d\n", cpu / tick / n, wall, hwm; exit }
    printf "  ably-js %s      %.3f CPU-s per cycle, %.3f s wall per cycle, peak RSS %.1f MiB (%s)\n", version, cpu / tick / n, wall, hwm / 1024, last
  }'
