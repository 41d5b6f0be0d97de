#!/usr/bin/env python3
"""A reference receiver for presenced webhooks (CONTRACT §4, §5). Standard library only.

It shows what a correct receiver does, in few enough lines to copy:
  * verifies the Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
    `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`) and rejects
    stale timestamps;
  * de-duplicates on the event `id` (never on the batch `webhook-id`: a batch we acknowledged
    but presenced did not see acknowledged comes again, and must change nothing);
  * applies enter / present / update / leave / sync to an in-memory view, from either webhook
    format (`events` or Ably's `ably` envelope);
  * answers "who is in channel X": GET /channels/X -> {"members":[...], "clients":[...]}.

Run:  PRESENCED_WEBHOOK_SECRET=whsec_... python3 presence_receiver.py --port 8080
It prints "listening on HOST:PORT" once bound (port 0 picks a free port).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300  # Standard Webhooks' recommended replay window
MAX_REMEMBERED_IDS = 1_000_000
ABLY_ACTIONS = {1: "present", 2: "enter", 3: "leave", 4: "update"}


def signing_key(secret):
    """Returns the HMAC key: the base64-decoded part after `whsec_`, or the raw secret."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def signature_ok(key, headers, body, now=None):
    """True when one of the `v1,` signatures matches and the timestamp is recent."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > TOLERANCE_SECONDS:
        return False
    signed = msg_id.encode() + b"." + stamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers.get("webhook-signature", "").split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


def events_of(payload):
    """Yields events in order from either webhook format, as `format: events` objects."""
    if "events" in payload:
        yield from payload["events"]
        return
    for item in payload.get("items", []):
        data = item.get("data", {})
        channel = data.get("channelId", "")
        members = data.get("presence", [])
        if item.get("name") == "presence.sync":
            yield {"id": data.get("id") or item.get("serial"), "channel": channel,
                   "action": "sync", "members": members}
            continue
        for message in members:
            event = dict(message, channel=channel)
            # presence.message items have Ably's numeric actions; presence.client items say
            # "online" / "offline".
            action = message.get("action")
            event["action"] = ABLY_ACTIONS.get(action, action) if isinstance(action, int) else action
            yield event


class PresenceView:
    """Who is present, per channel, built from de-duplicated events. Thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._channels = {}  # channel -> {(clientId, connectionId): member}
        self._seen = OrderedDict()  # event ids already applied, oldest first

    def apply(self, event):
        """Applies one event unless its id was seen; returns True when it was new."""
        with self._lock:
            event_id = event.get("id")
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            if len(self._seen) > MAX_REMEMBERED_IDS:
                self._seen.popitem(last=False)
            channel = self._channels.setdefault(event["channel"], {})
            action = event["action"]
            if action == "sync":
                channel.clear()
                for m in event.get("members", []):
                    channel[(m["clientId"], m["connectionId"])] = m
            elif action in ("enter", "present", "update"):
                member = {k: event.get(k) for k in
                          ("clientId", "connectionId", "memberId", "data", "encoding",
                           "timestamp")}
                channel[(event["clientId"], event["connectionId"])] = member
            elif action == "leave":
                channel.pop((event["clientId"], event["connectionId"]), None)
            # online/offline are per-clientId summaries of the member events: nothing to store.
            return True

    def channel(self, name):
        with self._lock:
            members = sorted(self._channels.get(name, {}).values(),
                             key=lambda m: (m["clientId"], m["connectionId"]))
        return {"members": members, "clients": sorted({m["clientId"] for m in members})}


def make_handler(view, key):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if key is not None and not signature_ok(key, headers, body):
                return self._reply(401, {"error": "bad signature"})
            try:
                payload = json.loads(body)
                applied = sum(view.apply(e) for e in events_of(payload))
            except (ValueError, KeyError, TypeError) as err:
                return self._reply(400, {"error": str(err)})
            self._reply(200, {"applied": applied})

        def do_GET(self):
            path = urllib.parse.urlsplit(self.path).path
            if not path.startswith("/channels/"):
                return self._reply(404, {"error": "not found"})
            self._reply(200, view.channel(urllib.parse.unquote(path[len("/channels/"):])))

        def _reply(self, status, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # quiet: one line per request is noise here
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--secret-env", default="PRESENCED_WEBHOOK_SECRET",
                        help="environment variable holding the signing secret (unset: unsigned)")
    args = parser.parse_args()
    secret = os.environ.get(args.secret_env)
    key = signing_key(secret) if secret else None
    server = ThreadingHTTPServer((args.host, args.port), make_handler(PresenceView(), key))
    print("listening on %s:%d" % server.server_address[:2], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
