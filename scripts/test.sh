#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs every test twice —
# once in the standard build (build/, the demo's build: what scripts/demo.sh compiled is not
# compiled again), once under AddressSanitizer + UndefinedBehaviorSanitizer — then runs each
# libFuzzer target for 30 s (scripts/fuzz.sh). Each stage prints the time it is expected to take
# (its time in the last run on this machine, kept in build/test-stage-times, else an estimate for a
# fresh 2-core machine) and the time it took: about 24 minutes in all on a fresh 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p build
times=build/test-stage-times
touch "$times"
stage_key="" stage_start=$SECONDS run_start=$SECONDS

# Each stage's expected seconds on a fresh 2-core machine, used until it has run here once.
declare -A estimate=([deps]=120 [format]=5 [build]=240 [tests]=180 [asan-build]=360 [asan-tests]=180
  [fuzz]=300)

# Prints how long stage KEY should take: its last time here, else its estimate.
expected() { local last; last=$(sed -n "s/^$1=//p" "$times"); echo "${last:-${estimate[$1]}}"; }

# "4m 10s".
human() { if (($1 >= 60)); then echo "$(($1 / 60))m $(($1 % 60))s"; else echo "$1s"; fi; }

# Ends the running stage (records its time), then starts stage KEY: prints its title and how
# long it should take.
stage() {
  local key=$1 title=$2 last
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
    echo "== $title (expected about $(human "${estimate[$key]}") on a fresh 2-core machine)"
  fi
}

total=0
for key in "${!estimate[@]}"; do total=$((total + $(expected "$key"))); done
echo "== scripts/test.sh: ${#estimate[@]} stages, expected about $(human "$total") in all"

stage deps "install dependencies"
scripts/install-deps.sh

stage format "format check"
if command -v clang-format >/dev/null; then
  files=$(git ls-files '*.cc' '*.h')
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files
fi

# Twice the cores: most integration tests spend their time waiting for the daemon's next cycle,
# not computing (on 2 cores, -j4 halves both test stages; every wait has a deadline).
jobs=$((2 * $(nproc)))
stage build "build (build/: -O2, warnings are errors; the demo's objects are reused)"
scripts/build.sh
stage tests "tests"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

stage asan-build "build (build-asan/: ASan + UBSan)"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DPRESENCED_SANITIZE=ON -DPRESENCED_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-Werror
stage asan-tests "tests under sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900

stage fuzz "clang build (thread-safety analysis) and fuzz (ASan + UBSan, 30 s per target)"
scripts/fuzz.sh 30

stage done ""
echo "== total: $(human $((SECONDS - run_start)))"
