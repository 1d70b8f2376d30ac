#!/usr/bin/env python3
"""Example receiver for certkeeper's webhook deploy target.

certkeeper POSTs the new certificate as JSON with two headers:

    X-Certkeeper-Timestamp: <unix seconds>
    X-Certkeeper-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>

This receiver accepts a push only when the signature verifies (constant-time compare), the
timestamp is within 300 s of its own clock (401 otherwise) and the signature was not seen
before (409: a replay). Accepted bodies are written to --out as NAME-SERIAL-N.json.
The secret file must be 0600/0400; trailing whitespace is not part of the secret.

With --unsigned instead of --secret-file it accepts unsigned JSON posts (certkeeper's alert
webhook without a secret_file, Slack-compatible alert hooks) and saves them the same way.

    receiver.py --port 0 --secret-file secret --out /tmp/pushes   # prints the port first
    receiver.py --port 0 --unsigned --out /tmp/alerts
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import stat
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
SAFE = re.compile(r"[^A-Za-z0-9._-]")


class State:
    def __init__(self, secret: bytes, out_dir: str):
        self.secret = secret
        self.out_dir = out_dir
        self.lock = threading.Lock()
        # signature -> timestamp; entries older than the skew window can no longer pass the
        # timestamp check, so they are forgotten.
        self.seen = {}
        self.count = 0


def make_handler(state: State):
    class Handler(BaseHTTPRequestHandler):
        def reply(self, code: int, message: str):
            data = json.dumps({"status": code, "message": message}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length", "-1"))
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                return self.reply(400, "missing or too large Content-Length")
            body = self.rfile.read(length)
            if state.secret is None:
                return self.save(body)
            ts = self.headers.get("X-Certkeeper-Timestamp", "")
            sig = self.headers.get("X-Certkeeper-Signature", "")
            if not ts.isdigit() or not sig.startswith("sha256="):
                return self.reply(401, "missing or malformed signature headers")
            expected = hmac.new(state.secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, sig[len("sha256="):].lower()):
                return self.reply(401, "bad signature")
            now = int(time.time())
            if abs(now - int(ts)) > MAX_SKEW_SECONDS:
                return self.reply(401, "timestamp outside the allowed window")
            with state.lock:
                for old_sig, old_ts in list(state.seen.items()):
                    if now - old_ts > 2 * MAX_SKEW_SECONDS:
                        del state.seen[old_sig]
                if sig in state.seen:
                    return self.reply(409, "replayed push")
                state.seen[sig] = int(ts)
            return self.save(body)

        def save(self, body: bytes):
            with state.lock:
                state.count += 1
                n = state.count
            try:
                doc = json.loads(body)
                name = SAFE.sub("_", str(doc.get("name", "unknown")))
                serial = SAFE.sub("_", str(doc.get("serial", "unknown")))
            except (ValueError, AttributeError):
                return self.reply(400, "body is not a JSON object")
            path = os.path.join(state.out_dir, f"{name}-{serial}-{n}.json")
            tmp = path + ".tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            os.rename(tmp, path)
            return self.reply(200, "accepted")

        def log_message(self, fmt, *args):
            sys.stderr.write("receiver: " + (fmt % args) + "\n")

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--secret-file")
    p.add_argument("--unsigned", action="store_true", help="accept unsigned posts")
    p.add_argument("--out", required=True)
    args = p.parse_args()

    secret = None
    if args.secret_file:
        st = os.stat(args.secret_file)
        if st.st_mode & 0o077:
            sys.exit(f"refusing {args.secret_file}: mode {stat.S_IMODE(st.st_mode):04o}, want 0600")
        with open(args.secret_file, "rb") as f:
            secret = f.read().rstrip()
        if not secret:
            sys.exit(f"{args.secret_file} is empty")
    elif not args.unsigned:
        sys.exit("--secret-file is required (or --unsigned to accept unsigned posts)")
    os.makedirs(args.out, exist_ok=True)

    server = ThreadingHTTPServer((args.bind, args.port), make_handler(State(secret, args.out)))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
