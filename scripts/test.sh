#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs every test twice —
# once in a normal build, once under AddressSanitizer + UndefinedBehaviorSanitizer — then runs
# each libFuzzer target for 30 s (scripts/fuzz.sh). Each stage prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

stage_name="" stage_start=$SECONDS run_start=$SECONDS
stage() {
  [ -n "$stage_name" ] && echo "== $stage_name: $((SECONDS - stage_start))s"
  stage_name=$1 stage_start=$SECONDS
  echo "== $stage_name"
}

stage "install dependencies"
scripts/install-deps.sh

stage "format check"
if command -v clang-format >/dev/null; then
  files=$(git ls-files '*.cc' '*.h')
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files
fi

jobs=$(nproc)
stage "build (RelWithDebInfo, warnings are errors)"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRESENCED_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-Werror
stage "tests"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

stage "build (ASan + UBSan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DPRESENCED_SANITIZE=ON -DPRESENCED_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-Werror
stage "tests under sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900

stage "clang build (thread-safety analysis) and fuzz (ASan + UBSan, 30 s per target)"
scripts/fuzz.sh 30

stage "done"
echo "== total: $((SECONDS - run_start))s"
