#!/usr/bin/env bash
# Installs the Debian packages presenced needs, when they are missing. Messages go to stderr.
#   scripts/install-deps.sh         everything scripts/test.sh needs (build, tests, packaging, fuzzing)
#   scripts/install-deps.sh --demo  only what scripts/demo.sh needs: the compiler, CMake, Ninja and the
#                                   libraries of presenced and the fake Ably server (GoogleTest too:
#                                   build/ is configured with the tests, as scripts/test.sh does)
set -euo pipefail

# ccache is in both: build/'s compile commands include it when it is installed, so installing it
# later would make scripts/test.sh compile the demo's objects again.
demo_packages=(
  g++ cmake ninja-build git pkg-config ccache
  libpoco-dev libspdlog-dev libyaml-cpp-dev prometheus-cpp-dev libsimdjson-dev libsqlite3-dev
  libssl-dev librdkafka-dev libgtest-dev libgmock-dev
)
# Tests also run the real Prometheus (promtool, a live scrape), systemd-analyze, curl, and
# python3-yaml to lint the Kubernetes manifests; debootstrap, systemd-nspawn (systemd-container), podman
# and lintian to build the Debian package and the image and run them (tests/deploy/boot_test.sh, image_test.sh).
# clang and its compiler-rt (libFuzzer, sanitizers) build the fuzz targets (scripts/fuzz.sh).
# chromium renders the status page headless (tests/deploy/status_page_screenshot.sh; ~85 s to install).
# libbenchmark-dev builds the micro-benchmarks (scripts/bench.sh); tinyproxy is a real HTTP proxy
# for the proxy tests.
test_packages=(prometheus systemd curl clang-format python3 python3-yaml clang libclang-rt-dev
  tinyproxy debootstrap systemd-container podman lintian dpkg-dev file chromium libbenchmark-dev)

wanted=("${demo_packages[@]}")
if [ "${1:-}" != "--demo" ]; then wanted+=("${test_packages[@]}"); fi
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#wanted[@]} packages present" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}" >&2
start=$SECONDS
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done in $((SECONDS - start))s" >&2
