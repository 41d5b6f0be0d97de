#!/usr/bin/env bash
# Kafka sink throughput: events per second from the outbox to acknowledged (every delivery report
# in, the batch deleted from the outbox) on librdkafka's mock cluster, in a Release build.
# Usage: scripts/bench-kafka.sh [EVENTS] [CHANNELS]   (default 200000 events over 100 channels)
# BENCH_BUILD_DIR (default build-release) picks the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BENCH_BUILD_DIR:-build-release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRESENCED_BUILD_TESTS=OFF \
  -DPRESENCED_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target kafka_bench >/dev/null
"$build/bench/kafka_bench" "$@"
