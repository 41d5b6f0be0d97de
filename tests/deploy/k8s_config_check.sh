#!/usr/bin/env bash
# `presenced --check-config` on the presenced.yaml embedded in deploy/kubernetes/configmap.yaml, with the
# environment the StatefulSet gives it (secrets as env vars; state dir redirected to a temp dir).
# Usage: k8s_config_check.sh PRESENCED CONFIGMAP_YAML
set -euo pipefail
(($# == 2)) || { echo "usage: $0 PRESENCED CONFIGMAP_YAML" >&2; exit 2; }
presenced=$1 configmap=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c 'import sys, yaml; sys.stdout.write(yaml.safe_load(open(sys.argv[1]))["data"]["presenced.yaml"])' \
  "$configmap" >"$work/presenced.yaml" || { echo "FAIL: cannot extract presenced.yaml from $configmap" >&2; exit 1; }
rc=0
out=$(HOSTNAME=presenced-0 STATE_DIRECTORY=$work ABLY_API_KEY=app.key:secret WEBHOOK_MAIN_SECRET=whsec_c2VjcmV0 \
  "$presenced" --check-config --config "$work/presenced.yaml" 2>&1) || rc=$?
if ((rc != 0)) || grep -q 'warning' <<<"$out"; then
  echo "FAIL: presenced --check-config rejects or warns about the ConfigMap's presenced.yaml (exit $rc):" >&2
  echo "$out" >&2
  exit 1
fi
# One shard per replica: the StatefulSet's replicas must equal shard.count (index auto = pod ordinal).
python3 - "$configmap" "$(dirname "$configmap")/statefulset.yaml" <<'PY' || exit 1
import sys, yaml
config = yaml.safe_load(yaml.safe_load(open(sys.argv[1]))["data"]["presenced.yaml"])
replicas = yaml.safe_load(open(sys.argv[2]))["spec"]["replicas"]
shard = config.get("shard") or {}
count = shard.get("count", 1)
if count != replicas or (count > 1 and shard.get("index") != "auto"):
    sys.exit(f"FAIL: statefulset replicas {replicas} vs shard {shard} (want count = replicas, index: auto)")
PY
echo "OK: the ConfigMap's presenced.yaml is valid and has one shard per StatefulSet replica"
