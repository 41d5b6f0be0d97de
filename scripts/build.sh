#!/usr/bin/env bash
# Configures and builds presenced with CMake and Ninja.
#   scripts/build.sh                      the standard build in build/ (-O2, no debug info, -Werror,
#                                         no benchmarks): every target; what scripts/test.sh runs
#   scripts/build.sh DIR [cmake args...]  another build directory with its own flags
# Options, before DIR:
#   --targets "a b"   build only these targets
#   --progress LOG    Ninja's output to LOG and one progress line on stderr instead
# scripts/demo.sh builds its two targets in build/ with the standard flags, so scripts/test.sh then
# compiles only what the demo did not need.
set -euo pipefail
cd "$(dirname "$0")/.."

# -O2 without debug info: the demo's build (and the tests') compiles in two thirds of the time
# RelWithDebInfo's -g takes; the sanitizer build (build-asan/) keeps -g for its stack traces.
standard_flags=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
  -DPRESENCED_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-Werror)
targets=() log=""
while [ $# -gt 0 ]; do
  case $1 in
    --targets) read -r -a targets <<<"$2"; shift 2 ;;
    --progress) log=$2; shift 2 ;;
    *) break ;;
  esac
done
dir=${1:-build}
shift || true
flags=("$@")
if [ "$dir" = build ] && [ ${#flags[@]} -eq 0 ]; then flags=("${standard_flags[@]}"); fi
target_args=()
if [ ${#targets[@]} -gt 0 ]; then target_args=(--target "${targets[@]}"); fi

if [ -z "$log" ]; then
  cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
  exec cmake --build "$dir" -j "$(nproc)" "${target_args[@]}"
fi

# Quiet mode: the build runs in its own session (so that a stop ends the compilers too), its
# output goes to $log, and stderr gets one line that is rewritten in place on a terminal.
mkdir -p "$(dirname "$log")"
setsid bash -c 'cmake -S . -B "$1" -G Ninja "${@:3}" && cmake --build "$1" -j "$(nproc)" $2' \
  build "$dir" "${target_args[*]}" "${flags[@]}" >"$log" 2>&1 </dev/null &
builder=$!
trap 'kill -TERM -- -"$builder" 2>/dev/null; wait "$builder" 2>/dev/null; exit 143' INT TERM
start=$SECONDS
what=${targets[*]:-everything}
[ -t 2 ] || echo "build: building $what (log: $log)" >&2
while kill -0 "$builder" 2>/dev/null; do
  step=$(grep -o '^\[[0-9]*/[0-9]*\]' "$log" 2>/dev/null | tail -n 1 || true)
  [ -t 2 ] && printf '\rbuild: %s %s %ds (log: %s)\033[K' "$what" "${step:-[configuring]}" \
    $((SECONDS - start)) "$log" >&2
  sleep 1
done
status=0
wait "$builder" || status=$?
trap - INT TERM
[ -t 2 ] && printf '\r\033[K' >&2
if [ "$status" -ne 0 ]; then
  tail -n 40 "$log" >&2
  echo "build: FAILED after $((SECONDS - start))s (whole log: $log)" >&2
  exit "$status"
fi
echo "build: $what built in $((SECONDS - start))s (log: $log)" >&2
