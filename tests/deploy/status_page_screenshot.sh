#!/usr/bin/env bash
# Renders the status page (GET /) of a real presenced in headless Chromium at 1280x900 and at 390x844
# (a phone, emulated as a mobile device). presenced polls fake_ably (channels with members, one
# failing channel) and delivers to webhook_sink; once /api/v1/status shows a committed cycle, a
# delivered event and the webhook, status_page_check.py renders the page at both sizes over the
# DevTools protocol and checks the DOM and layout: lang and viewport, no script, no horizontal
# overflow, <th scope>, ready state, uptime, last cycle, events and Ably errors of the last hour,
# the chart, absolute times on hover, the sections in order (sinks, stale channels with why,
# recent events, channels), the events in the JSON's newest-first order, member identities hidden
# by default. The screenshots are kept as OUT_DIR/status_page_1280x900.png and _390x844.png; each must
# be a PNG of that size, not blank, showing the page's CSS colours (the table header grey and the
# ready badge green).
# Exits 77 (skipped, reason printed) when chromium, python3 or curl is not installed.
# Usage: status_page_screenshot.sh PRESENCED FAKE_ABLY WEBHOOK_SINK OUT_DIR
set -euo pipefail
(($# == 4)) || { echo "usage: $0 PRESENCED FAKE_ABLY WEBHOOK_SINK OUT_DIR" >&2; exit 2; }
presenced=$1 fake_ably=$2 sink=$3 out_dir=$4
here=$(cd "$(dirname "$0")" && pwd)
for tool in chromium python3 curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIPPED: '$tool' is not installed (Debian: apt-get install chromium python3 curl)"
    exit 77
  fi
done
source "$here/daemon_env.sh"
[[ -x "$presenced" && -x "$fake_ably" && -x "$sink" ]] || fail "missing binary: $presenced $fake_ably $sink"
mkdir -p "$out_dir"
rm -f "$out_dir"/status_page_*.png

"$fake_ably" --port 0 --key fake.key:secret >"$WORK/fake_ably.log" 2>&1 &
PIDS+=($!)
fake_port=$(wait_for_line "$WORK/fake_ably.log" 'listening on 127\.0\.0\.1:[0-9]+' 20 $!)
fake="http://127.0.0.1:${fake_port##*:}"
"$sink" 0 "$WORK/webhooks.jsonl" >"$WORK/webhook_sink.log" 2>&1 &
PIDS+=($!)
sink_port=$(wait_for_line "$WORK/webhook_sink.log" 'listening on 127\.0\.0\.1:[0-9]+' 20 $!)

# control PATH JSON: a fake_ably control request (tests/fakes/fake_ably/README.md).
control() { curl -fsS --max-time 5 -H 'Content-Type: application/json' -d "$2" "$fake/_fake/$1" >/dev/null; }
enter() { control enter "{\"channel\":\"$1\",\"clientId\":\"$2\",\"connectionId\":\"c-$2\",\"data\":{}}"; }
enter chat:lobby alice
enter chat:lobby bob
enter chat:support carol
# A long name without spaces must wrap inside its cell on a phone, not widen the page.
long_channel=chat:support-for-the-enterprise-customers-of-the-north-european-region-0123456789
enter "$long_channel" erin
control channel-error '{"channel":"chat:broken","code":50000,"statusCode":500,"message":"injected"}'

mkdir -p "$WORK/state"
cat >"$WORK/presenced.yaml" <<YAML
ably: {key_env: ABLY_API_KEY, endpoint: "$fake"}
poll: {interval: 1s}
channels: [chat:lobby, chat:support, chat:broken, "$long_channel"]
state: {dir: "$WORK/state"}
http: {listen: "127.0.0.1:0"}
webhooks:
  - name: ops-hooks
    url: http://127.0.0.1:${sink_port##*:}/presence
    batch: {max_events: 10, max_delay: 100ms}
YAML
ABLY_API_KEY=fake.key:secret "$presenced" --config "$WORK/presenced.yaml" >"$WORK/presenced.stdout.log" \
  2>"$WORK/presenced.log" &
PIDS+=($!)
PRESENCED_PID=$!
port=$(wait_for_line "$WORK/presenced.log" 'http listening on 127\.0\.0\.1:[0-9]+' 20 "$PRESENCED_PID")
url="http://127.0.0.1:${port##*:}"
wait_for_http "$url/-/ready" 30 "$PRESENCED_PID"

# The first cycle is a baseline: a member who enters after it is an event, delivered to the sink.
enter chat:lobby dave
deadline=$((SECONDS + 60))
until [[ -s "$WORK/webhooks.jsonl" ]] && curl -fsS --max-time 5 "$url/api/v1/status" >"$WORK/status.json" \
  && python3 - "$WORK/status.json" <<'PY'
import json, sys
status = json.load(open(sys.argv[1]))
lobby = [c for c in status["channels"] if c["name"] == "chat:lobby"]
sys.exit(0 if lobby and lobby[0]["lastSuccess"] > 0 and lobby[0]["members"] == 3
         and any(e["channel"] == "chat:lobby" and e["action"] == "enter" for e in status["events"])
         and any(w["name"] == "ops-hooks" and w["pending"] == 0 for w in status["webhooks"]) else 1)
PY
do
  ((SECONDS < deadline)) \
    || fail "no committed cycle with dave's enter delivered within 60s: $(cat "$WORK/status.json" 2>/dev/null)"
  kill -0 "$PRESENCED_PID" 2>/dev/null || fail "presenced exited"
  sleep 0.2
done

python3 "$here/status_page_check.py" "$url/" "$WORK/status.json" "$out_dir" "$WORK" \
  || fail "the rendered status page failed its checks"
# f2f2f2: the table headers' background; dcf2e1: the ready badge (status_page.cc's CSS).
for size in 1280x900 390x844; do
  python3 "$here/png_check.py" "$out_dir/status_page_$size.png" "${size%x*}" "${size#*x}" 8 f2f2f2 dcf2e1 \
    || fail "the screenshot $out_dir/status_page_$size.png is not the page"
done
echo "OK: headless Chromium rendered the status page; screenshots kept in $out_dir/status_page_{1280x900,390x844}.png"
