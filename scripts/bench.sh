#!/usr/bin/env bash
# Builds the benchmarks in Release mode and runs them all (figures go in the README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DPRESENCED_BUILD_TESTS=OFF -DPRESENCED_BUILD_BENCH=ON
build-release/bench/presence_bench "$@"
build-release/bench/delivery/delivery_bench "$@"
