#!/usr/bin/python3
"""A real SMTP server with STARTTLS for the watch tests (Debian python3-aiosmtpd).

Usage: smtp_starttls_server.py --port PORT --cert FULLCHAIN.pem --key KEY.pem
Listens on 127.0.0.1:PORT, offers STARTTLS with the given chain, discards mail, and runs until
killed (the test stops it by pid).
"""
import argparse
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    controller = Controller(Sink(), hostname="127.0.0.1", port=args.port,
                            tls_context=context, require_starttls=True)
    controller.start()
    print(f"smtp listening on 127.0.0.1:{args.port}", flush=True)
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main()
