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
#    records the channels of every request). http.lifecycle changes too, which takes effect only at a
#    restart: presenced says so at warning priority.
sed -i 's/^channels: \[\]/channels: ["probe:reload"]/' /etc/presenced/presenced.yaml
sed -i 's/^  listen: 127.0.0.1:9847$/  listen: 127.0.0.1:9847\n  lifecycle: true/' /etc/presenced/presenced.yaml
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

# 4b. journald sees each line at its own priority: `journalctl -p warning` has the reload's warning
#     and none of the info lines.
if wait_until 10 sh -c 'journalctl -u presenced -p warning --no-pager | grep -q "take effect only after a restart"'; then
  if journalctl -u presenced -p warning --no-pager | grep -q "presenced started"; then
    fail "journald: an info line (presenced started) shows under -p warning"
  elif journalctl -u presenced -o cat --no-pager | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T'; then
    fail "journald: lines carry presenced's own timestamp: $(journalctl -u presenced -o cat -n1 --no-pager)"
  else
    pass "journald: journalctl -p warning shows the reload warning and no info line; no own timestamps"
  fi
else
  fail "journald: no reload warning under journalctl -u presenced -p warning"
fi

# 4c. a rejected config makes `systemctl reload` fail (ExecReload validates before it signals); the
#     daemon keeps running the config before, and the journal has the error at priority err.
cp /etc/presenced/presenced.yaml /tmp/good.yaml
echo 'bogus_key: 1' >>/etc/presenced/presenced.yaml
if systemctl reload presenced.service 2>/dev/null; then
  fail "reload: systemctl reload succeeded with an invalid config"
elif [[ $(prop presenced ActiveState) != active || $(prop presenced MainPID) != "$pid_before" ]]; then
  fail "reload: the failed reload stopped or restarted presenced ($(prop presenced ActiveState))"
elif ! journalctl -u presenced -p err --no-pager | grep -q 'bogus_key: unknown key'; then
  fail "reload: no 'bogus_key: unknown key' error under journalctl -p err"
else
  pass "reload: systemctl reload fails on an invalid config, the daemon runs on, the error is at priority err"
fi
cp /tmp/good.yaml /etc/presenced/presenced.yaml

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

# 6b. the Ably key as a systemd credential (LoadCredential=, as the README shows) instead of the env
#     file: `ably.key_file: ably-key` is read from $CREDENTIALS_DIRECTORY.
install -m 0600 /dev/null /etc/presenced/ably-key
sed -n 's/^ABLY_API_KEY=//p' /etc/presenced/env >/etc/presenced/ably-key
: >/etc/presenced/env
sed -i 's|^  endpoint: http://127.0.0.1:8080$|  endpoint: http://127.0.0.1:8080\n  key_file: ably-key|' /etc/presenced/presenced.yaml
mkdir -p /etc/systemd/system/presenced.service.d
printf '[Service]\nLoadCredential=ably-key:/etc/presenced/ably-key\n' >/etc/systemd/system/presenced.service.d/credential.conf
systemctl daemon-reload
if systemctl start presenced.service && wait_until 20 sh -c 'curl -fsS http://127.0.0.1:9847/-/ready'; then
  pass "credential: started with the key from LoadCredential= (ably.key_file: ably-key) and ready"
else
  fail "credential: not ready with LoadCredential=: $(journalctl -u presenced -n 5 --no-pager)"
fi
systemctl stop presenced.service

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

# 8. purge removes the enablement too (deb-systemd-helper): no dangling multi-user.target.wants link.
journalctl -u presenced --no-pager >/out/journal.txt 2>&1
systemctl enable presenced.service 2>/dev/null
wants=/etc/systemd/system/multi-user.target.wants/presenced.service
if [[ -L $wants ]] && DEBIAN_FRONTEND=noninteractive dpkg --purge presenced >/out/purge.log 2>&1; then
  if [[ -e $wants || -L $wants ]]; then
    fail "purge: $wants is left behind"
  elif ls /var/lib/systemd/deb-systemd-helper-enabled/ 2>/dev/null | grep -q presenced; then
    fail "purge: deb-systemd-helper's state of presenced.service is left behind"
  elif [[ -e /var/lib/private/presenced || -e /etc/presenced/presenced.yaml ]]; then
    fail "purge: state or config left behind"
  else
    pass "purge: dpkg --purge removed the enablement, the state and the config"
  fi
else
  fail "purge: enable or dpkg --purge failed: $(tail -3 /out/purge.log 2>/dev/null)"
fi
echo DONE >>"$out"
