#!/usr/bin/env bash
# Builds the Debian package: a Release build of presenced, then CPack, then lintian (when installed).
# Usage: scripts/package.sh [BUILD_DIR]     (default: build-package)
# Prints the path of build-package/package/presenced_<version>_<arch>.deb on its last line. The same
# commit gives the same bytes (SOURCE_DATE_EPOCH is the commit's time unless set).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-package}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPRESENCED_BUILD_TESTS=OFF \
  -DPRESENCED_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target presenced
(cd "$build" && cpack >/dev/null)
deb=$(ls "$build"/package/presenced_*.deb)
if command -v lintian >/dev/null; then
  # Errors and warnings fail the build (tests/deploy/package_test.sh keeps the package clean).
  lintian --fail-on warning "$deb" 2> >(grep -v 'running with root privileges' >&2) || exit 1
fi
echo "$deb"
