#!/usr/bin/env bash
# Builds deploy/Dockerfile with podman and runs the image's contents against fake_ably: podman imports the
# cached Debian rootfs (rootfs.sh) as localhost/debian:bookworm-slim (no registry), builds the image from
# the .deb that CPack makes from BUILD_DIR (--build-arg PRESENCED_DEB=prebuilt: no compiler in the image
# build), exports a container's file system and runs the image's ENTRYPOINT + CMD in it with
# systemd-nspawn, as the image's USER, with a test config mounted over /etc/presenced/presenced.yaml.
# Checks: the image user is numeric (10001:10001) and the process runs under that uid, the OCI labels
# carry the version and revision, the package's example config is in /usr/share/doc, /metrics reports
# members from the fake, SIGTERM stops it with exit 0; prints the image size.
# Exits 77 (skipped, reason printed) without root, podman, debootstrap or systemd-nspawn, or in a sanitizer build.
# Usage: image_test.sh BUILD_DIR FAKE_ABLY WEBHOOK_SINK   (WEBHOOK_SINK only keys the shared rootfs cache)
set -euo pipefail
(($# == 3)) || { echo "usage: $0 BUILD_DIR FAKE_ABLY WEBHOOK_SINK" >&2; exit 2; }
build=$(realpath "$1") fake_ably=$2 sink=$3
here=$(dirname "$(realpath "$0")")
source "$here/rootfs.sh"
require_container_tools
command -v podman >/dev/null || skip "podman not installed (apt-get install podman)"
ldd "$build/daemon/presenced" | grep libasan >/dev/null && skip "sanitizer build: the image is tested in the normal build"

work=$(mktemp -d "${TMPDIR:-/tmp}/presenced-image.XXXXXX")
PIDS=()
container=presenced-image-test-$$
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  podman rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  local log
  for log in "$work"/*.log; do
    [[ -f $log ]] && { echo "---- $(basename "$log") (tail) ----" >&2; tail -20 "$log" >&2; }
  done
  exit 1
}
wait_for_line() {  # FILE REGEX SECONDS: prints the first match
  local deadline=$((SECONDS + $3)) match
  while ((SECONDS < deadline)); do
    match=$(grep -E -o -m1 "$2" "$1" 2>/dev/null || true)
    [[ -n $match ]] && { echo "$match"; return 0; }
    sleep 0.1
  done
  return 1
}

(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || fail "cpack failed"
packages=$(packages_for "$build/daemon/presenced" "$fake_ably" "$sink")
# shellcheck disable=SC2086
root=$(cached_rootfs $packages) || fail "debootstrap failed"

base=localhost/debian:bookworm-slim key=$(basename "$root")
if [[ $(podman image inspect --format '{{index .Labels "presenced.rootfs"}}' "$base" 2>/dev/null) != "$key" ]]; then
  tar -C "$root" --exclude=./.complete -c . | podman import --change "LABEL presenced.rootfs=$key" - "$base" \
    >"$work/import.log" 2>&1 || fail "podman import of $root failed"
fi

mkdir -p "$work/context/deb"
cp "$here/../../deploy/Dockerfile" "$work/context/Dockerfile"
cp "$build"/package/presenced_*_"$(dpkg --print-architecture)".deb "$work/context/deb/"
read -r _ version revision < <("$build/daemon/presenced" --version | tr -d '()')
started=$SECONDS
podman build --format docker --isolation=chroot --network=host --build-arg PRESENCED_DEB=prebuilt \
  --build-arg TARGETARCH="$(dpkg --print-architecture)" --build-arg PRESENCED_VERSION="$version" \
  --build-arg PRESENCED_REVISION="$revision" -t localhost/presenced:test \
  "$work/context" >"$work/build.log" 2>&1 || fail "podman build failed"
echo "podman build: $((SECONDS - started))s"

user=$(podman image inspect --format '{{.Config.User}}' localhost/presenced:test)
# Numeric, so Kubernetes' runAsNonRoot can verify it.
[[ $user == 10001:10001 ]] || fail "the image runs as '${user:-root}', not 10001:10001"
label() { podman image inspect --format "{{index .Config.Labels \"org.opencontainers.image.$1\"}}" localhost/presenced:test; }
[[ $(label version) == "$version" && $(label revision) == "$revision" && $(label title) == presenced ]] \
  || fail "OCI labels: version '$(label version)' revision '$(label revision)' title '$(label title)'"
size=$(podman image inspect --format '{{.Size}}' localhost/presenced:test)
base_size=$(podman image inspect --format '{{.Size}}' "$base")
mapfile -t command < <(podman image inspect --format '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' localhost/presenced:test | sed '/^$/d')

podman create --name "$container" localhost/presenced:test >/dev/null
mkdir "$work/image"
podman export "$container" | tar -x -C "$work/image"
[[ -f $work/image/usr/share/doc/presenced/examples/presenced.yaml ]] || fail "no example config in the image"

"$fake_ably" --port 0 --key fake.key:secret --simulate channels=10,members=4,churn=5,seed=2 >"$work/fake_ably.log" 2>&1 &
PIDS+=($!)
port=$(wait_for_line "$work/fake_ably.log" 'listening on 127\.0\.0\.1:[0-9]+' 20) || fail "fake_ably did not start"
cat >"$work/presenced.yaml" <<YAML
ably:
  endpoint: http://127.0.0.1:${port##*:}
poll:
  interval: 1s
discovery:
  prefixes: ["sim:"]
  interval: 5s
http:
  listen: 127.0.0.1:0
YAML
chmod 0644 "$work/presenced.yaml"
# As `docker run -e ABLY_API_KEY -v presenced.yaml:/etc/presenced/presenced.yaml:ro` would, on the host network.
# nspawn's --user wants a name: the image's user database names uid 10001.
user_name=$(awk -F: -v uid="${user%%:*}" '$3 == uid {print $1}' "$work/image/etc/passwd")
[[ -n $user_name ]] || fail "uid ${user%%:*} is not in the image's /etc/passwd"
timeout -s KILL 120 systemd-nspawn -q -D "$work/image" --register=no --keep-unit --user="$user_name" \
  --setenv=ABLY_API_KEY=fake.key:secret --bind-ro="$work/presenced.yaml:/etc/presenced/presenced.yaml" \
  "${command[@]}" >"$work/presenced.log" 2>&1 &
nspawn=$!
PIDS+=($nspawn)
http=$(wait_for_line "$work/presenced.log" 'http listening on 127\.0\.0\.1:[0-9]+' 30) || fail "presenced did not start"
url=http://127.0.0.1:${http##*:}
deadline=$((SECONDS + 30))
# Discovered channels: counted in the unlabelled series (per_channel is not set explicitly).
until curl -fsS --max-time 2 "$url/metrics" >"$work/metrics.txt" 2>/dev/null \
  && grep -qE '^presenced_members [1-9]' "$work/metrics.txt"; do
  ((SECONDS < deadline)) || fail "/metrics shows no members within 30s"
  sleep 0.2
done
# The container's presenced: a descendant of this nspawn (other tests may run presenced as root).
container_presenced() {
  local p q
  for p in $(pgrep -x presenced); do
    q=$p
    while [[ -n $q && $q -gt 1 ]]; do
      [[ $q == "$1" ]] && { echo "$p"; return 0; }
      q=$(ps -o ppid= -p "$q" | tr -d ' ')
    done
  done
  return 1
}
pid=$(container_presenced "$nspawn") || fail "no presenced process inside the container"
uid=$(ps -o uid= -p "$pid" | tr -d ' ')
[[ $uid != 0 ]] || fail "presenced runs as uid 0"
kill -TERM "$pid"  # as `docker stop` does: SIGTERM to the container's first process
status=0
wait "$nspawn" || status=$?
[[ $status == 0 ]] || fail "presenced exited $status after SIGTERM"
grep -q "stopped cleanly" "$work/presenced.log" || fail "no 'stopped cleanly' in the log"

mb() { awk -v b="$1" 'BEGIN {printf "%.1f MB", b / 1e6}'; }
echo "OK: image $version ($revision) runs ${command[*]} as $user (uid $uid), /metrics has $(grep '^presenced_channels ' "$work/metrics.txt" | cut -d' ' -f2) channels, stops with 0"
echo "image size: $(mb "$size") on the test base $(mb "$base_size"): presenced adds $(mb $((size - base_size)))"
