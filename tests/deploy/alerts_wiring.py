#!/usr/bin/env python3
"""The Prometheus wiring of deploy/ (issue 18): one scrape mechanism for Kubernetes (the ServiceMonitor:
no prometheus.io/* annotations on the Service or the Pod, so no pod is scraped twice under a job the
alerts do not select), the PrometheusRule kept equal to alerts.yml, every alert with a runbook_url into
a README section that exists, and a job selector that can be changed (the rules, rewritten for another
job by prometheus_rule.py --selector, still pass promtool and the rule unit tests run under that job).
Usage: alerts_wiring.py SOURCE_DIR PROMTOOL"""
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

source, promtool = pathlib.Path(sys.argv[1]), sys.argv[2]
prom, kube = source / "deploy/prometheus", source / "deploy/kubernetes"
generator = [sys.executable, str(prom / "prometheus_rule.py")]
errors = []


def run(args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        errors.append(f"{' '.join(map(str, args))}: {r.stdout}{r.stderr}")
    return r.stdout


# One mechanism: the ServiceMonitor.
for name in ("service.yaml", "statefulset.yaml"):
    if "prometheus.io/" in re.sub(r"#.*", "", (kube / name).read_text()):
        errors.append(f"deploy/kubernetes/{name}: prometheus.io/* annotations scrape the pods a second time")
monitor = yaml.safe_load((kube / "servicemonitor.yaml").read_text())
service = yaml.safe_load((kube / "service.yaml").read_text())
if monitor["spec"]["selector"]["matchLabels"].items() > service["metadata"]["labels"].items():
    errors.append("servicemonitor.yaml does not select the Service")

# The PrometheusRule is alerts.yml.
committed = (kube / "prometheusrule.yaml").read_text()
if run(generator) != committed:
    errors.append("deploy/kubernetes/prometheusrule.yaml differs from alerts.yml: run "
                  "deploy/prometheus/prometheus_rule.py > deploy/kubernetes/prometheusrule.yaml")
alerts = yaml.safe_load((prom / "alerts.yml").read_text())
if yaml.safe_load(committed)["spec"] != alerts:
    errors.append("prometheusrule.yaml's spec is not alerts.yml")

# Runbooks: every alert links a README section that exists (GitHub's heading anchors).
readme = (source / "README.md").read_text()
anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#+ (.+)$", readme, re.M)}
for rule in (r for g in alerts["groups"] for r in g["rules"]):
    url = rule.get("annotations", {}).get("runbook_url", "")
    anchor = url.partition("#")[2]
    if not url.startswith("https://") or anchor != rule["alert"].lower():
        errors.append(f"{rule['alert']}: runbook_url {url!r} is not <README>#{rule['alert'].lower()}")
    elif anchor not in anchors:
        errors.append(f"{rule['alert']}: README.md has no section #{anchor}")

# Another job: the rewritten rules parse and their unit tests pass under that job.
with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    (tmp / "alerts.yml").write_text(run(generator + ["--format", "rules", "--selector", 'job="k8s-pods"']))
    tests = (prom / "alerts_test.yml").read_text()
    (tmp / "alerts_test.yml").write_text(
        tests.replace('job="presenced"', 'job="k8s-pods"').replace("job: presenced", "job: k8s-pods")
        .replace('job=\\"presenced\\"', 'job=\\"k8s-pods\\"'))
    run([promtool, "check", "rules", str(tmp / "alerts.yml")])
    r = subprocess.run([promtool, "test", "rules", "alerts_test.yml"], cwd=tmp, capture_output=True,
                       text=True)
    if r.returncode != 0:
        errors.append("the rules under job=\"k8s-pods\" fail their unit tests: " + r.stdout + r.stderr)

for e in errors:
    print("FAIL:", e)
if errors:
    sys.exit(1)
print(f"OK: one scrape mechanism, PrometheusRule = alerts.yml, {len(anchors)} README anchors cover every "
      "runbook_url, and the rules work under another job")
