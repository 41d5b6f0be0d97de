#!/usr/bin/env bash
# Boots the Debian package under a real systemd: builds the .deb with CPack from BUILD_DIR, installs it
# into a copy of a cached Debian bookworm rootfs, adds fake_ably and webhook_sink as units, and boots
# the copy with systemd-nspawn. The oneshot unit presenced-boot-check.service (boot_check.sh) drives
# presenced.service with systemctl and writes its verdicts to a bind mount, then powers off.
# Checks: start reaches active only after READY=1, events reach the receiver, journalctl has the logs,
# reload applies a changed config, `journalctl -p warning` selects by priority, `systemctl reload` fails
# on an invalid config, the sandbox does not kill it (systemd-analyze security < 2.0), stop is clean and
# fast, the key can come from LoadCredential=, the watchdog restarts a frozen presenced, and a purge
# removes the enablement.
# Exits 77 (skipped, reason printed) without root, debootstrap or systemd-nspawn, or in a sanitizer build.
# Usage: boot_test.sh BUILD_DIR FAKE_ABLY WEBHOOK_SINK
set -euo pipefail
(($# == 3)) || { echo "usage: $0 BUILD_DIR FAKE_ABLY WEBHOOK_SINK" >&2; exit 2; }
build=$(realpath "$1") fake_ably=$2 sink=$3
here=$(dirname "$(realpath "$0")")
source "$here/rootfs.sh"
require_container_tools
ldd "$build/daemon/presenced" | grep libasan >/dev/null && skip "sanitizer build: the package is tested in the normal build"

work=$(mktemp -d "${TMPDIR:-/tmp}/presenced-boot.XXXXXX")
# PRESENCED_KEEP_WORK=1 keeps the container and its results for a look after a failure.
trap '[[ -n ${PRESENCED_KEEP_WORK:-} ]] && echo "kept $work" || rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f $work/out/journal.txt ]] && { echo "---- journalctl -u presenced (tail) ----" >&2; tail -30 "$work/out/journal.txt" >&2; }
  [[ -f $work/console.log ]] && { echo "---- container console (tail) ----" >&2; tail -30 "$work/console.log" >&2; }
  exit 1
}

(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || fail "cpack: $(tail -5 "$work/cpack.log")"
deb=$(ls "$build"/package/presenced_*_"$(dpkg --print-architecture)".deb)
packages=$(packages_for "$build/daemon/presenced" "$fake_ably" "$sink")
# shellcheck disable=SC2086
cache=$(cached_rootfs $packages) || fail "debootstrap failed"

root=$work/root
cp -a --reflink=auto "$cache" "$root"
mkdir -p "$work/out" "$root/var/tmp/deb"
cp "$deb" "$root/var/tmp/deb/"
timeout -s KILL 120 systemd-nspawn -q -D "$root" --register=no --keep-unit \
  sh -c 'dpkg -i /var/tmp/deb/*.deb && rm -rf /var/tmp/deb' >"$work/dpkg.log" 2>&1 \
  || fail "dpkg -i $(basename "$deb") in the rootfs: $(tail -5 "$work/dpkg.log")"
echo "installed $(basename "$deb") into a copy of $cache"

install -m 0755 "$fake_ably" "$sink" "$here/boot_check.sh" "$root/usr/local/bin/"
units=$root/etc/systemd/system
cat >"$units/fake-ably.service" <<'UNIT'
[Unit]
Description=fake Ably REST API (boot test)
[Service]
ExecStart=/usr/local/bin/fake_ably --port 8080 --key fake.key:secret --simulate channels=20,members=3,churn=5,seed=1
UNIT
cat >"$units/webhook-sink.service" <<'UNIT'
[Unit]
Description=webhook receiver (boot test)
[Service]
ExecStart=/usr/local/bin/webhook_sink 8081 /out/webhooks.jsonl
UNIT
cat >"$units/presenced-boot-check.service" <<'UNIT'
[Unit]
Description=presenced boot test checker
Wants=fake-ably.service webhook-sink.service
After=fake-ably.service webhook-sink.service
[Service]
Type=oneshot
ExecStart=/usr/local/bin/boot_check.sh
ExecStopPost=/bin/systemctl poweroff --no-block
[Install]
WantedBy=multi-user.target
UNIT
mkdir -p "$units/multi-user.target.wants"
ln -s ../presenced-boot-check.service "$units/multi-user.target.wants/"
# The packaged conffile, pointed at the fake and the receiver; the key goes in the env file, as documented.
cat >"$root/etc/presenced/presenced.yaml" <<'YAML'
ably:
  endpoint: http://127.0.0.1:8080
poll:
  interval: 1s
channels: []
discovery:
  prefixes: ["sim:"]
  interval: 5s
http:
  listen: 127.0.0.1:9847
webhooks:
  - name: sink
    url: http://127.0.0.1:8081/hook
    format: events
    batch: {max_events: 100, max_delay: 200ms}
YAML
install -m 0600 /dev/null "$root/etc/presenced/env"
echo 'ABLY_API_KEY=fake.key:secret' >"$root/etc/presenced/env"

started=$SECONDS
boot "$root" 240 --bind="$work/out:/out" >"$work/console.log" 2>&1 || true
echo "container booted, checked and powered off in $((SECONDS - started))s"
[[ -f $work/out/results.txt ]] || fail "the checker wrote no results"
cat "$work/out/results.txt"
grep -q '^DONE' "$work/out/results.txt" || fail "the checker did not finish"
! grep -q '^FAIL' "$work/out/results.txt" || fail "$(grep -c '^FAIL' "$work/out/results.txt") check(s) failed"
echo "OK: presenced.deb runs under systemd $(grep -c '^PASS' "$work/out/results.txt") checks passed"
