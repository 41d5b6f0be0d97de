#!/usr/bin/env bash
# Builds the Debian package: a Release build of presenced, then CPack, then lintian (when installed).
# Usage: scripts/package.sh [BUILD_DIR]     (default: build-package)
# Prints the path of build-package/package/presenced_<version>_amd64.deb on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-package}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRESENCED_BUILD_TESTS=OFF \
  -DPRESENCED_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target presenced
(cd "$build" && cpack >/dev/null)
deb=$(ls "$build"/package/presenced_*_amd64.deb)
if command -v lintian >/dev/null; then
  # Errors fail the build; warnings (no man page, systemctl in the maintainer scripts) are shown.
  lintian --fail-on error "$deb" 2> >(grep -v 'running with root privileges' >&2) || exit 1
fi
echo "$deb"
