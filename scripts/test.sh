#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs every test twice —
# once in a normal build, once under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== format check"
if command -v clang-format >/dev/null; then
  files=$(git ls-files '*.cc' '*.h')
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files
fi

jobs=$(nproc)
echo "== build (RelWithDebInfo, warnings are errors)"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRESENCED_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-Werror
echo "== tests"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

echo "== build (ASan + UBSan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DPRESENCED_SANITIZE=ON -DPRESENCED_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-Werror
echo "== tests under sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900
