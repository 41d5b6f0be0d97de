#!/usr/bin/env python3
"""A webhook receiver for the soak benchmark that flaps: it acknowledges every request (204)
for UP seconds, then refuses every one (503) for DOWN seconds, and again. It listens on
127.0.0.1 port 0, prints `listening on 127.0.0.1:<port>` once, and counts what it accepted in
the file given by --stats (rewritten every second). Usage:
  flapping_receiver.py [--up 60] [--down 30] [--stats FILE]
"""
import argparse
import http.server
import json
import os
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--up", type=float, default=60)
parser.add_argument("--down", type=float, default=30)
parser.add_argument("--stats", default="")
args = parser.parse_args()
started = time.monotonic()
lock = threading.Lock()
stats = {"accepted_requests": 0, "accepted_events": 0, "refused_requests": 0}


def up():
    return (time.monotonic() - started) % (args.up + args.down) < args.up


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            if up():
                stats["accepted_requests"] += 1
                stats["accepted_events"] += len(json.loads(body).get("events", []))
                status = 204
            else:
                stats["refused_requests"] += 1
                status = 503
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *unused):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)


def write_stats():
    while args.stats:
        with lock:
            text = json.dumps(stats)
        with open(args.stats + ".tmp", "w") as f:
            f.write(text)

        os.replace(args.stats + ".tmp", args.stats)
        time.sleep(1)


threading.Thread(target=write_stats, daemon=True).start()
server.serve_forever()
