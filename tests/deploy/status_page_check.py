#!/usr/bin/env python3
"""Renders presenced's status page in headless Chromium at a desktop and a phone size, checks the
rendered DOM and layout, and saves a screenshot of each.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands on fd 3,
answers on fd 4, each a JSON message ending in NUL), so nothing but the Python standard library is
needed. The phone size is emulated as a mobile device (the page's viewport tag decides its layout
width, as on a phone).

Usage: status_page_check.py URL STATUS_JSON_FILE OUT_DIR WORK_DIR
Writes OUT_DIR/status_page_1280x900.png and OUT_DIR/status_page_390x844.png; prints one line per
size; exits 1 with every failed check listed."""

import base64
import json
import os
import subprocess
import sys
import time

SIZES = [(1280, 900, False), (390, 844, True)]

# Runs in the page; returns what the checks below need. The page itself has no JavaScript.
PROBE = r"""(() => {
  const text = document.body.innerText;
  const h2 = [...document.querySelectorAll('h2')].map(h => h.textContent);
  const position = prefix => h2.findIndex(t => t.startsWith(prefix));
  const tables = [...document.querySelectorAll('table')];
  const eventsHeading = [...document.querySelectorAll('h2')]
      .find(h => h.textContent.startsWith('Recent events'));
  let eventsTable = eventsHeading;
  while (eventsTable && eventsTable.tagName !== 'TABLE') eventsTable = eventsTable.nextElementSibling;
  const events = eventsTable ? [...eventsTable.querySelectorAll('tbody tr')].map(
      tr => [tr.cells[1].textContent, tr.cells[2].textContent]) : null;
  const staleRow = document.querySelector('tr.stale');
  return JSON.stringify({
    lang: document.documentElement.lang,
    viewport: (document.querySelector('meta[name=viewport]') || {}).content || '',
    scripts: document.querySelectorAll('script').length,
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    widestTable: Math.max(0, ...tables.map(t => t.getBoundingClientRect().right)),
    thWithoutScope: [...document.querySelectorAll('th')].filter(th => !th.getAttribute('scope')).length,
    state: (document.querySelector('.state') || {}).textContent || '',
    hasUptime: /Up \d/.test(text),
    hasLastCycle: /last cycle\s+finished/.test(text),
    hasEventsHour: /events, last hour\s+enter \d/.test(text),
    hasAblyErrors: /Ably errors, last hour/.test(text) && text.includes('injected'),
    chartTitles: document.querySelectorAll('svg rect title').length,
    chartLines: document.querySelectorAll('svg polyline, svg circle').length,
    timesWithTitle: [...document.querySelectorAll('time')]
        .filter(t => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(t.getAttribute('title') || '')).length,
    sinks: position('Sinks'), stale: position('Stale channels'), recent: position('Recent events'),
    channels: position('Channels'),
    sinkRow: text.includes('ops-hooks'),
    staleWhy: staleRow ? staleRow.textContent : '',
    events: events,
    membersHidden: !text.includes('dave') && text.includes('http.status_members: true'),
  });
})()"""


class Chromium:
    """One headless Chromium with a DevTools pipe; `call` sends a command and waits for its answer."""

    def __init__(self, work, width, height):
        commands_read, self.commands = os.pipe()
        self.answers, answers_write = os.pipe()

        def child_fds():
            # Copies first: either pipe end may already be fd 3 or 4.
            commands, answers = os.dup(commands_read), os.dup(answers_write)
            os.dup2(commands, 3)
            os.dup2(answers, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        # --no-sandbox: the sandbox cannot start as root; the page is our own, on loopback. The
        # background-networking flags keep Chromium off this machine's closed network.
        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-quic", "--hide-scrollbars", "--remote-debugging-pipe",
             f"--user-data-dir={work}/chromium-{width}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(f"{work}/chromium-{width}.log", "wb"), close_fds=False,
            preexec_fn=child_fds, env={**os.environ, "HOME": work})
        os.close(commands_read)
        os.close(answers_write)
        self.next_id, self.buffer, self.events = 0, b"", []

    def _read(self, deadline):
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.answers, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # already gone: killed below
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def render(url, work, width, height, mobile):
    """Returns (probe result, PNG bytes) of `url` at width×height."""
    browser = Chromium(work, width, height)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
                     session)
        browser.call("Page.enable", session=session)
        browser.call("Page.navigate", {"url": url}, session)
        browser.wait_event("Page.loadEventFired")
        probe = browser.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                             session)["result"]["value"]
        shot = browser.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        return json.loads(probe), base64.b64decode(shot)
    finally:
        browser.close()


def check(page, status, width):
    """Returns the failed checks of one rendering."""
    failures = []

    def expect(ok, what):
        if not ok:
            failures.append(f"{width}px: {what}")

    expect(page["lang"] == "en", f"<html lang> is {page['lang']!r}")
    expect("width=device-width" in page["viewport"], f"viewport tag is {page['viewport']!r}")
    expect(page["scripts"] == 0, "the page has <script> elements")
    # Against the device's width: without a viewport tag a phone lays the page out 980px wide.
    expect(page["scrollWidth"] <= width,
           f"the page is {page['scrollWidth']}px wide on a {width}px screen")
    expect(page["widestTable"] <= width, f"a table ends at {page['widestTable']}px on a {width}px screen")
    expect(page["thWithoutScope"] == 0, f"{page['thWithoutScope']} <th> without scope")
    expect(page["state"] == "Ready", f"the state line says {page['state']!r}")
    for key, what in [("hasUptime", "the uptime"), ("hasLastCycle", "the last cycle"),
                      ("hasEventsHour", "the events of the last hour"),
                      ("hasAblyErrors", "the Ably errors by code"),
                      ("sinkRow", "the webhook in the sinks"),
                      ("membersHidden", "members hidden by default, saying how to show them")]:
        expect(page[key], f"the page does not show {what}")
    expect(page["chartTitles"] == 60, f"the chart has {page['chartTitles']} minutes, not 60")
    expect(page["chartLines"] >= 1, "the chart has no members line")
    expect(page["timesWithTitle"] >= 3, "relative times without an absolute time on hover")
    order = [page["sinks"], page["stale"], page["recent"], page["channels"]]
    expect(min(order) >= 0 and order == sorted(order),
           f"sections out of order (sinks, stale, recent events, channels): {order}")
    expect("code 50000: injected" in page["staleWhy"],
           f"the stale channel does not say why: {page['staleWhy']!r}")
    in_json = [[e["channel"], e["action"]] for e in status["events"]]
    expect(page["events"] == in_json,
           f"page events {page['events']} are not the JSON's order {in_json}")
    return failures


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    url, status_file, out_dir, work = sys.argv[1:]
    with open(status_file) as f:
        status = json.load(f)
    failures = []
    for width, height, mobile in SIZES:
        page, png = render(url, work, width, height, mobile)
        shot = os.path.join(out_dir, f"status_page_{width}x{height}.png")
        with open(shot, "wb") as f:
            f.write(png)
        failures += check(page, status, width)
        print(f"status_page_check: {width}x{height}: page {page['scrollWidth']}px wide, "
              f"{len(page['events'] or [])} events, screenshot {shot}")
    if failures:
        print("status_page_check: FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
