#!/usr/bin/env bash
# The Debian package (CPack from BUILD_DIR): the same bytes from the same commit (two packings, with
# the files' times changed between them, give one sha256; the changelog is dated with the commit), its
# Depends has ca-certificates, the example config is in /usr/share/doc/presenced/examples with a man
# page next to the binary, the maintainer scripts use deb-systemd-helper (a purge removes the
# enablement; tests/deploy/boot_check.sh purges for real), and lintian reports nothing, warnings
# included. Exits 77 (skipped, reason printed) without dpkg-deb or lintian.
# Usage: package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
(($# == 2)) || { echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2; exit 2; }
source=$(realpath "$1") build=$(realpath "$2")
for tool in dpkg-deb lintian cpack; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/install-deps.sh)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Packed into directories of its own: the boot and image tests pack into BUILD_DIR/package meanwhile.
pack() { (cd "$build" && cpack -G DEB -B "$1" >"$1.log" 2>&1) || fail "cpack: $(tail -5 "$1.log")"; ls "$1"/presenced_*.deb; }
first=$(pack "$work/first")
touch "$build/daemon/presenced" "$source/config/presenced.example.yaml"
second=$(pack "$work/second")
[[ $(sha256sum <"$first") == "$(sha256sum <"$second")" ]] \
  || fail "two packings of one build differ: $(cmp "$first" "$second" | head -1)"

# The commit the build was configured from (its revision is in --version).
revision=$("$build/daemon/presenced" --version | sed -n 's/.*(\(.*\))$/\1/p')
epoch=$(cd "$source" && git log -1 --format=%ct "$revision" 2>/dev/null || true)
if [[ -n $epoch && -z ${SOURCE_DATE_EPOCH:-} ]]; then
  dpkg-deb --fsys-tarfile "$first" | tar -x -C "$work" ./usr/share/doc/presenced/changelog.gz
  want=$(LC_ALL=C date -u -d "@$epoch" '+%a, %d %b %Y %H:%M:%S +0000')
  zcat "$work/usr/share/doc/presenced/changelog.gz" | grep -qF -- "-- presenced maintainers <maintainers@presenced.dev>  $want" \
    || fail "changelog not dated with the commit ($want): $(zcat "$work/usr/share/doc/presenced/changelog.gz" | tail -1)"
  newest=$(dpkg-deb --fsys-tarfile "$first" | tar -tv --full-time | awk '{print $4" "$5}' | sort | tail -1)
  [[ $(date -u -d "$newest" +%s) -le $epoch ]] || fail "a file in the archive is newer than the commit: $newest"
fi

depends=$(dpkg-deb -f "$first" Depends)
[[ $depends == *ca-certificates* ]] || fail "Depends lacks ca-certificates: $depends"
contents=$(dpkg-deb -c "$first" | awk '{print $6}')
for path in ./usr/bin/presenced ./usr/share/doc/presenced/examples/presenced.yaml \
  ./usr/share/man/man1/presenced.1.gz ./etc/presenced/presenced.yaml ./usr/lib/systemd/system/presenced.service; do
  grep -qx -- "$path" <<<"$contents" || fail "the package lacks $path"
done
! grep -q 'presenced.yaml.example' <<<"$contents" || fail "the example config is still in /etc/presenced"
dpkg-deb -e "$first" "$work/control"
grep -q 'deb-systemd-helper purge presenced.service' "$work/control/postrm" || fail "postrm does not purge with deb-systemd-helper"
grep -q 'deb-systemd-helper update-state presenced.service' "$work/control/postinst" || fail "postinst does not record the unit's state"

lintian --fail-on warning --tag-display-limit 0 "$first" >"$work/lintian.txt" 2>&1 \
  || fail "lintian: $(grep -v 'running with root privileges' "$work/lintian.txt")"
grep -E '^[EW]:' "$work/lintian.txt" && fail "lintian reports the tags above"
echo "OK: $(basename "$first"): reproducible ($(sha256sum <"$first" | cut -c1-12)), Depends: $depends, lintian clean"
