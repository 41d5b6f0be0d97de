#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs every test twice —
# once in the standard build (build/, the demo's build: what scripts/demo.sh compiled is not
# compiled again), once under AddressSanitizer + UndefinedBehaviorSanitizer — then runs each
# libFuzzer target for 30 s (scripts/fuzz.sh). Each stage prints the time it is expected to take
# (its time in the last run on this machine, kept in build/test-stage-times, else an estimate for a
# fresh 2-core machine) and the time it took. About 25 minutes on a fresh 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p build
times=build/test-stage-times
touch "$times"
stage_key="" stage_start=$SECONDS run_start=$SECONDS

# "4m 10s".
human() { if (($1 >= 60)); then echo "$(($1 / 60))m $(($1 % 60))s"; else echo "$1s"; fi; }

# Ends the running stage (records its time), then starts stage KEY: prints its title and how
# long it should take (ESTIMATE seconds when it has never run here).
stage() {
  local key=$1 title=$2 estimate=$3 last
  if [ -n "$stage_key" ]; then
    local took=$((SECONDS - stage_start))
    echo "== $stage_key: took $(human "$took")"
    grep -v "^$stage_key=" "$times" >"$times.new" || true
    echo "$stage_key=$took" >>"$times.new"
    mv "$times.new" "$times"
  fi
  stage_key=$key stage_start=$SECONDS
  [ "$key" = done ] && return
  last=$(sed -n "s/^$key=//p" "$times")
  if [ -n "$last" ]; then
    echo "== $title (expected about $(human "$last"): the last run here)"
  else
    echo "== $title (expected about $(human "$estimate") on a fresh 2-core machine)"
  fi
}

stage deps "install dependencies" 120
scripts/install-deps.sh

stage format "format check" 5
if command -v clang-format >/dev/null; then
  files=$(git ls-files '*.cc' '*.h')
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files
fi

jobs=$(nproc)
stage build "build (build/: RelWithDebInfo, warnings are errors; the demo's objects are reused)" 420
scripts/build.sh
stage tests "tests" 240
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

stage asan-build "build (build-asan/: ASan + UBSan)" 480
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DPRESENCED_SANITIZE=ON -DPRESENCED_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-Werror
stage asan-tests "tests under sanitizers" 300
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900

stage fuzz "clang build (thread-safety analysis) and fuzz (ASan + UBSan, 30 s per target)" 420
scripts/fuzz.sh 30

stage done "" 0
echo "== total: $(human $((SECONDS - run_start)))"
