#!/usr/bin/python3
"""A scripted server for the IMAP and PostgreSQL STARTTLS preambles (no IMAP server or
PostgreSQL is installed on the test machines): it speaks exactly the protocol steps a real
server speaks before TLS, then does a real TLS handshake (Python ssl / OpenSSL) with the given
chain.

Usage: starttls_preamble_server.py --protocol imap|postgres|postgres-nossl --port PORT
                                   --cert FULLCHAIN.pem --key KEY.pem
"""
import argparse
import socket
import ssl
import threading


def serve_imap(conn, context):
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] test server ready\r\n")
    lines = conn.makefile("rb")
    while True:
        parts = lines.readline().strip().split(b" ", 1)
        if len(parts) != 2:
            return
        tag, command = parts[0], parts[1].upper()
        if command == b"CAPABILITY":
            conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag +
                         b" OK CAPABILITY completed\r\n")
        elif command == b"STARTTLS":
            # RFC 9051 6.2.1: the tagged OK, then the TLS negotiation begins.
            conn.sendall(tag + b" OK Begin TLS negotiation now\r\n")
            handshake(conn, context)
            return
        else:
            conn.sendall(tag + b" BAD only CAPABILITY and STARTTLS here\r\n")


def serve_postgres(conn, context, accept):
    request = b""
    while len(request) < 8:
        chunk = conn.recv(8 - len(request))
        if not chunk:
            return
        request += chunk
    if request != b"\x00\x00\x00\x08\x04\xd2\x16\x2f":  # SSLRequest
        return
    if not accept:
        conn.sendall(b"N")
        return
    conn.sendall(b"S")
    handshake(conn, context)


def handshake(conn, context):
    try:
        tls = context.wrap_socket(conn, server_side=True)
        tls.close()
    except (ssl.SSLError, OSError):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--protocol", required=True,
                        choices=["imap", "postgres", "postgres-nossl"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)
    listener = socket.create_server(("127.0.0.1", args.port))
    print(f"{args.protocol} listening on 127.0.0.1:{args.port}", flush=True)

    def handle(conn):
        with conn:
            conn.settimeout(10)
            if args.protocol == "imap":
                serve_imap(conn, context)
            else:
                serve_postgres(conn, context, args.protocol == "postgres")

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
