#!/usr/bin/env bash
# scripts/demo.sh with a real key runs the config it prints with --print-config: it must be valid,
# print events on stdout and post nowhere (no webhook, so nothing goes to an example URL).
# Usage: demo_config_check.sh SOURCE_DIR PRESENCED
set -euo pipefail
source_dir=$1 presenced=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ABLY_API_KEY=demo.key:secret PRESENCED_DEMO_CHANNELS='a, b' \
  bash "$source_dir/scripts/demo.sh" --print-config >"$work/demo.yaml"
summary=$(ABLY_API_KEY=demo.key:secret "$presenced" --check-config --config "$work/demo.yaml")
echo "$summary"
grep -q "2 channels" <<<"$summary" || { echo "FAIL: PRESENCED_DEMO_CHANNELS not used" >&2; exit 1; }
grep -q "no webhooks" <<<"$summary" || { echo "FAIL: the demo posts to a webhook" >&2; exit 1; }
grep -q "events on stdout" <<<"$summary" || { echo "FAIL: the demo prints no events" >&2; exit 1; }
