#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ and the daemon with Debian's clang (ASan + UBSan +
# float-cast-overflow, thread-safety analysis) and runs each fuzzer for a bounded time.
#   scripts/fuzz.sh              60 s per target
#   scripts/fuzz.sh 30           what scripts/test.sh (CI) runs
#   scripts/fuzz.sh 3600 config  a long run of one target (names: see fuzz/CMakeLists.txt)
# Seeds: fuzz/seeds/<target> plus tests/testdata. The corpus grows in build-fuzz/corpus/<target>.
# A crash, leak or timeout leaves its input in build-fuzz/crashes/<target>/ and fails the script;
# replay it with build-fuzz/fuzz/<target>_fuzz <file>, then make it a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ $# -eq 0 ]; then targets=(batch_parser channel_list link_url config channel_state payload); fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPRESENCED_FUZZ=ON -DPRESENCED_BUILD_TESTS=OFF -DPRESENCED_BUILD_BENCH=OFF >/dev/null
# Only what they link, plus the daemon itself: this is CI's clang build, and clang checks the
# locking annotations (-Wthread-safety -Werror=thread-safety, see CMakeLists.txt) in every file.
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/%/_fuzz}" presenced

seeds_of() {
  echo "fuzz/seeds/$1"
  case $1 in
    batch_parser) echo tests/testdata/ably ;;
    config) echo tests/testdata/config config ;;
  esac
}

failed=()
for target in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$target crashes=build-fuzz/crashes/$target
  mkdir -p "$corpus" "$crashes"
  echo "== fuzz $target for ${seconds}s"
  # shellcheck disable=SC2046
  if ! UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "build-fuzz/fuzz/${target}_fuzz" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" \
      "$corpus" $(seeds_of "$target") >"build-fuzz/$target.log" 2>&1; then
    tail -n 60 "build-fuzz/$target.log"
    failed+=("$target")
  fi
  grep -E '^stat::number_of_executed_units|^Done|#[0-9]+.*DONE' "build-fuzz/$target.log" | tail -n 2 || true
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in build-fuzz/crashes/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a finding"
