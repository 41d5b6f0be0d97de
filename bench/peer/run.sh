#!/usr/bin/env bash
# Runs the ably-js peer (bench/peer/poller.cjs) against a batch_presence_server on PORT for one
# size and prints its CPU per cycle and peak RSS, measured as scripts/bench-e2e.sh measures
# presenced (utime+stime from /proc/PID/stat over CYCLES cycles after WARMUP, VmHWM).
# ably-js is installed from the npm registry into PEER_DIR on first use (version pinned below).
# Usage: bench/peer/run.sh PORT CHANNELS MEMBERS [WARMUP] [CYCLES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=$1 channels=$2 members=$3 warmup=${4:-3} cycles=${5:-6}
peer_dir=${PEER_DIR:-$here/../../build-release/peer}
ably_version=2.26.0
if [[ ! -f $peer_dir/node_modules/ably/package.json ]]; then
  mkdir -p "$peer_dir"
  (cd "$peer_dir" && npm install --silent --no-audit --no-fund "ably@$ably_version" >/dev/null)
fi
tick=$(getconf CLK_TCK)
out=$(mktemp)
NODE_PATH=$peer_dir/node_modules node "$here/poller.cjs" "$port" "$channels" 100 4 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
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
c0=$(cycles_done) t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
wait_cycles $((c0 + cycles))
c1=$(cycles_done) t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
awk -v n=$((c1 - c0)) -v cpu=$((t1 - t0)) -v tick="$tick" -v hwm="$hwm" \
  -v total=$((channels * members)) -v last="$(tail -1 "$out")" 'BEGIN {
    printf "  ably-js %s       %.3f CPU-s per cycle, peak RSS %.1f MiB (%s)\n", "'$ably_version'", cpu / tick / n, hwm / 1024, last
  }'
