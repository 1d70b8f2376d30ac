#!/usr/bin/env python3
"""SMTP sink for certkeeper's email alert tests (Debian python3-aiosmtpd).

Accepts every message and saves it to --out as N.eml (the message as received) and N.json
(envelope: mail_from, rcpt_tos). With --cert/--key the server offers STARTTLS and refuses
mail before it (require_starttls); without them it speaks plain SMTP only, which a client
that requires STARTTLS must refuse.

With --implicit-tls (and --cert/--key) it speaks TLS from the first byte (smtps://, port 465
style) instead of offering STARTTLS.

    sink.py --port PORT --out DIR [--cert CERT --key KEY [--implicit-tls]]
    # prints "ready PORT" when listening
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class SaveHandler:
    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.out_dir, str(n))
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
        }
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        # The .eml last, atomically: a test that sees it sees the envelope too.
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--out", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--implicit-tls", action="store_true")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    kwargs = {}
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        if args.implicit_tls:
            kwargs = {"ssl_context": ctx}
        else:
            kwargs = {"tls_context": ctx, "require_starttls": True}
    controller = Controller(SaveHandler(args.out), hostname=args.bind, port=args.port, **kwargs)
    controller.start()
    print(f"ready {args.port}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
