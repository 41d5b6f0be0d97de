#!/bin/bash
# Runs INSIDE the booted test container (tests/deploy/boot_test.sh) as the oneshot unit
# presenced-boot-check.service: drives the installed presenced.service with systemctl and writes one
# "PASS name: detail" or "FAIL name: detail" line per check to /out/results.txt, then powers off.
# fake-ably.service (port 8080, simulating sim:* channels) and webhook-sink.service (port 8081,
# bodies to /out/webhooks.jsonl) run next to it; the container has its own network namespace.
set -u
out=/out/results.txt
: >"$out"
pass() { echo "PASS $*" >>"$out"; }
fail() { echo "FAIL $*" >>"$out"; }
prop() { systemctl show -p "$2" --value "$1"; }
metric() { curl -fsS --max-time 2 http://127.0.0.1:9847/metrics | grep -E "^$1" || true; }
# wait_until SECONDS COMMAND...: polls COMMAND every 0.2s until it succeeds or SECONDS pass.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

wait_until 20 curl -fsS -o /dev/null http://127.0.0.1:8080/_fake/channels || fail "fake_ably: not up"

# 1. start: Type=notify, so `systemctl start` returns once READY=1 arrived, which presenced sends only
#    after the state store is open and /-/healthy listens: no wait is needed before the request.
if systemctl start presenced.service; then
  state=$(prop presenced ActiveState)
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:9847/-/healthy)
  if [[ $state == active && $code == 200 && $(prop presenced Type) == notify ]]; then
    pass "start: active (Type=notify) and /-/healthy answered 200 as soon as systemctl start returned"
  else
    fail "start: ActiveState=$state, /-/healthy=$code right after systemctl start"
  fi
else
  fail "start: systemctl start failed: $(systemctl status presenced --no-pager 2>&1 | tail -5)"
fi

# 2. events reach the receiver (fake_ably churns 5 changes/s; the first snapshot is a baseline).
if wait_until 30 grep -q '"action":"enter"\|"action":2' /out/webhooks.jsonl; then
  pass "events: $(wc -l </out/webhooks.jsonl) webhook batches received, with enter events"
else
  fail "events: no enter event reached the receiver within 30s"
fi

# 3. the journal has presenced's logs.
if wait_until 10 sh -c 'journalctl -u presenced --no-pager | grep -q "presenced started"'; then
  pass "journal: journalctl -u presenced shows $(journalctl -u presenced --no-pager -q | wc -l) lines"
else
  fail "journal: no 'presenced started' line in journalctl -u presenced"
fi

# 4. reload applies a changed config: a new configured channel starts being polled (fake_ably
#    records the channels of every request).
sed -i 's/^channels: \[\]/channels: ["probe:reload"]/' /etc/presenced/presenced.yaml
pid_before=$(prop presenced MainPID)
systemctl reload presenced.service
if wait_until 20 sh -c 'curl -fsS http://127.0.0.1:8080/_fake/requests | grep -q probe:reload'; then
  if [[ $(prop presenced MainPID) == "$pid_before" ]]; then
    pass "reload: systemctl reload applied the new channel without a restart (pid $pid_before)"
  else
    fail "reload: the main pid changed ($pid_before -> $(prop presenced MainPID))"
  fi
else
  fail "reload: probe:reload not polled 20s after systemctl reload; $(metric presenced_config_last_reload_successful)"
fi

# 5. the sandbox: still running with no restart, and systemd-analyze rates it below 2.0.
score=$(systemd-analyze security presenced.service --no-pager 2>/dev/null \
  | sed -n 's/.*Overall exposure level for presenced.service: \([0-9.]*\).*/\1/p')
if [[ $(prop presenced ActiveState) == active && $(prop presenced NRestarts) == 0 ]] \
  && ! journalctl -u presenced --no-pager | grep -qE 'SIGSYS|code=killed|status=31'; then
  pass "hardening: active with the syscall filter, MemoryDenyWriteExecute and ProtectSystem, no restart"
else
  fail "hardening: ActiveState=$(prop presenced ActiveState) NRestarts=$(prop presenced NRestarts)"
fi
if [[ -n "$score" ]] && awk -v s="$score" 'BEGIN {exit !(s < 2.0)}'; then
  pass "security: systemd-analyze security rates the unit $score"
else
  fail "security: systemd-analyze security rates the unit '${score}' (want < 2.0)"
fi

# 6. stop is clean and fast.
start_ms=$(date +%s%3N)
systemctl stop presenced.service
stop_ms=$(($(date +%s%3N) - start_ms))
result=$(prop presenced Result)
status=$(prop presenced ExecMainStatus)
if [[ $result == success && $status == 0 && $stop_ms -lt 5000 ]] \
  && journalctl -u presenced --no-pager | grep -q "stopped cleanly"; then
  pass "stop: exit status 0, Result=success, 'stopped cleanly' logged, in ${stop_ms}ms"
else
  fail "stop: Result=$result ExecMainStatus=$status after ${stop_ms}ms"
fi

# 7. the watchdog restarts a presenced that stops making progress. A drop-in shortens WatchdogSec
#    (30s in the unit) to 4s for the test; SIGSTOP freezes every thread, so the pings stop.
mkdir -p /etc/systemd/system/presenced.service.d
printf '[Service]\nWatchdogSec=4s\nRestartSec=1s\n' >/etc/systemd/system/presenced.service.d/boot-test.conf
systemctl daemon-reload
systemctl start presenced.service
frozen=$(prop presenced MainPID)
kill -STOP "$frozen"
if wait_until 40 sh -c "[ \"\$(systemctl show -p NRestarts --value presenced)\" -ge 1 ] &&
                        [ \"\$(systemctl show -p ActiveState --value presenced)\" = active ]"; then
  if journalctl -u presenced --no-pager | grep -qi 'watchdog timeout'; then
    pass "watchdog: frozen pid $frozen killed on 'Watchdog timeout' and restarted as pid $(prop presenced MainPID)"
  else
    fail "watchdog: restarted, but the journal shows no watchdog timeout"
  fi
else
  fail "watchdog: no restart 40s after SIGSTOP (NRestarts=$(prop presenced NRestarts), $(prop presenced ActiveState))"
fi
systemctl stop presenced.service

journalctl -u presenced --no-pager >/out/journal.txt 2>&1
echo DONE >>"$out"
