#!/usr/bin/env bash
# Installs the Debian packages presenced needs to build, test and run, when they are missing.
# Usage: scripts/install-deps.sh [--runtime-only]
set -euo pipefail

build_packages=(
  g++ cmake ninja-build git pkg-config
  libpoco-dev libspdlog-dev libyaml-cpp-dev prometheus-cpp-dev libsimdjson-dev libsqlite3-dev
  libssl-dev librdkafka-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Tests also run the real Prometheus (promtool, a live scrape), systemd-analyze, curl, and
# python3-yaml to lint the Kubernetes manifests; debootstrap, systemd-nspawn (systemd-container), podman
# and lintian to build the Debian package and the image and run them (tests/deploy/boot_test.sh, image_test.sh).
# clang and its compiler-rt (libFuzzer, sanitizers) build the fuzz targets (scripts/fuzz.sh).
# chromium renders the status page headless (tests/deploy/status_page_screenshot.sh; ~85 s to install).
test_packages=(prometheus systemd curl clang-format python3 python3-yaml ccache clang libclang-rt-dev
  debootstrap systemd-container podman lintian dpkg-dev file chromium)

wanted=("${build_packages[@]}" "${test_packages[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
