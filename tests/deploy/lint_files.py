#!/usr/bin/env python3
"""Static checks of deploy/: the Kubernetes manifests and Docker Compose-free YAML parse, the Grafana
dashboard is valid JSON with unique panel ids and PromQL that `promtool check rules` parses, and every
presenced_* metric named in the dashboard and the alerts is a CONTRACT §7 metric (histograms: plus
_bucket/_sum/_count). Usage: lint_files.py DEPLOY_DIR PROMTOOL"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("SKIP: python3 yaml module not installed (Debian: python3-yaml)")
    sys.exit(77)

CONTRACT_METRICS = {
    "presenced_build_info", "presenced_channels", "presenced_channels_stale", "presenced_members",
    "presenced_clients", "presenced_events_total", "presenced_poll_cycles_total",
    "presenced_poll_overruns_total", "presenced_api_requests_total", "presenced_ably_billable_messages_total",
    "presenced_channel_fetch_errors_total", "presenced_channel_last_success_timestamp_seconds",
    "presenced_webhook_requests_total", "presenced_webhook_events_delivered_total",
    "presenced_webhook_pending_events", "presenced_webhook_oldest_pending_age_seconds",
    "presenced_webhook_dead_letter_events", "presenced_config_last_reload_successful",
    "presenced_config_last_reload_success_timestamp_seconds", "presenced_clients_distinct",
    "presenced_api_rate_limit_requests_per_second", "presenced_ably_token_renewals_total",
    "presenced_reconcile_corrections_total", "presenced_state_bytes_written_total",
    "presenced_state_commit_failures_total", "presenced_shard_info",
    "presenced_channels_occupied", "presenced_kafka_messages_total", "presenced_kafka_pending_events",
    "presenced_kafka_oldest_pending_age_seconds", "presenced_kafka_dead_letter_events",
    "presenced_ably_clock_offset_seconds",
    # Not in CONTRACT §7 (yet): the cause of each failed Kafka delivery attempt (issue 20).
    "presenced_kafka_errors_total",
}
HISTOGRAMS = {"presenced_poll_cycle_duration_seconds", "presenced_api_request_duration_seconds",
              "presenced_webhook_delivery_duration_seconds"}
# Each of these has a panel of its own (the metrics of the second wave).
MUST_CHART = {"presenced_clients_distinct", "presenced_api_rate_limit_requests_per_second",
              "presenced_ably_token_renewals_total", "presenced_reconcile_corrections_total",
              "presenced_state_bytes_written_total", "presenced_state_commit_failures_total",
              "presenced_shard_info", "presenced_channels_occupied", "presenced_kafka_messages_total",
              "presenced_kafka_pending_events", "presenced_kafka_oldest_pending_age_seconds",
              "presenced_kafka_dead_letter_events", "presenced_kafka_errors_total"}
KNOWN = CONTRACT_METRICS | {h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")}

errors = []


def check_metric_names(where, text):
    for name in set(re.findall(r"presenced_[a-z_]+", text)):
        if name not in KNOWN and name != "presenced_down":
            errors.append(f"{where}: unknown metric {name}")


def check_promql(promtool, exprs):
    """Parses each dashboard query with promtool, as recording rules (Grafana's $__rate_interval -> 5m)."""
    rules = [{"record": f"dashboard_query_{i}", "expr": e.replace("$__rate_interval", "5m")}
             for i, (_, e) in enumerate(exprs)]
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
        f.flush()
        r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
    if r.returncode != 0:
        errors.append("dashboard PromQL: " + (r.stdout + r.stderr).strip())


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    deploy, promtool = pathlib.Path(sys.argv[1]), sys.argv[2]
    for path in sorted((deploy / "kubernetes").glob("*.yaml")):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        except yaml.YAMLError as e:
            errors.append(f"{path}: {e}")
            continue
        if not docs:
            errors.append(f"{path}: no documents")
        for d in docs:
            if not isinstance(d, dict) or not {"apiVersion", "kind", "metadata"} <= d.keys():
                errors.append(f"{path}: a document lacks apiVersion/kind/metadata")

    dashboard_path = deploy / "grafana" / "presenced.json"
    try:
        dashboard = json.loads(dashboard_path.read_text())
    except ValueError as e:
        errors.append(f"{dashboard_path}: {e}")
    else:
        panels = dashboard.get("panels", [])
        ids = [p.get("id") for p in panels]
        if len(ids) != len(set(ids)) or None in ids:
            errors.append(f"{dashboard_path}: panel ids missing or not unique")
        exprs = [(p.get("title"), t["expr"]) for p in panels for t in p.get("targets", [])]
        if not exprs:
            errors.append(f"{dashboard_path}: no queries")
        for title, expr in exprs:
            check_metric_names(f"{dashboard_path} panel {title!r}", expr)
        check_promql(promtool, exprs)
        charted = set(re.findall(r"presenced_[a-z_]+", " ".join(e for _, e in exprs)))
        for name in sorted(MUST_CHART - charted):
            errors.append(f"{dashboard_path}: no panel charts {name}")
        if not any(v.get("type") == "datasource" for v in dashboard.get("templating", {}).get("list", [])):
            errors.append(f"{dashboard_path}: no datasource variable")

    alerts = deploy / "prometheus" / "alerts.yml"
    for group in yaml.safe_load(alerts.read_text())["groups"]:
        for rule in group["rules"]:
            check_metric_names(f"{alerts} {rule['alert']}", rule["expr"])

    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    if not errors:
        print("OK: kubernetes manifests, dashboard and alert metric names")
    return 1 if errors else 0


sys.exit(main())
