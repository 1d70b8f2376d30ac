#!/usr/bin/env python3
"""Dashboard load time in headless Chromium with N certificates in the store (issue 6).

Initializes a daemon state dir (one `certkeeper serve --dev` start and stop), inserts N
realistic certificate rows (external endpoints, files, CA-issued, managed history; expiries
spread from 10 days ago to 400 days ahead) straight into the SQLite database while the daemon
is stopped, starts the daemon again, logs in once through the UI and then reloads the page
`--loads` times. For each load it reads the page's own milestones (window.ckTimings,
performance.now() at the moment the first inventory page and the 90-day timeline were put in
the DOM, i.e. ms since navigation start) and reports the median and the worst.

Also measures the list API itself (page of 100, first and a deep cursor page) with curl.
Prints "RESULT dashboard_load ..." lines for bench/run.sh. Target: usable < 1 s at 10,000.
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "testing"))
from webdriver_client import WebDriver, start_chromedriver, spki_pins  # noqa: E402

ISSUERS = ["CN=R11,O=Let's Encrypt,C=US", "CN=E6,O=Let's Encrypt,C=US",
           "CN=ZeroSSL ECC Domain Secure Site CA,O=ZeroSSL,C=AT",
           "CN=certkeeper Intermediate CA", "CN=Legacy Corp Issuing CA 2,O=Legacy Corp"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S", time.gmtime()), msg), file=sys.stderr)


class Daemon:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.state = os.path.join(work, "state")
        self.port = free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        self.config = os.path.join(work, "certkeeper.toml")
        with open(self.config, "w") as f:
            f.write('state_dir = "%s"\nlisten = "127.0.0.1:%d"\n[log]\nlevel = "warn"\n'
                    % (self.state, self.port))
        self.proc = None

    def start(self):
        for f in ("admin.url", "cli-token"):
            try:
                os.unlink(os.path.join(self.state, f))
            except FileNotFoundError:
                pass
        logf = open(os.path.join(self.work, "daemon.log"), "ab")
        self.proc = subprocess.Popen([self.binary, "serve", "--dev", "--config", self.config],
                                     stdout=logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(os.path.join(self.state, "admin.url")):
                return
            if self.proc.poll() is not None:
                raise SystemExit("daemon exited; see " + os.path.join(self.work, "daemon.log"))
            time.sleep(0.05)
        raise SystemExit("daemon did not start")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

    def token(self):
        out = subprocess.run([self.binary, "token", "create", "--role", "admin", "--name",
                              "bench-%d" % time.time_ns(), "--state-dir", self.state],
                             capture_output=True, text=True, check=True).stdout
        return next(w for w in out.split() if w.startswith("ckt_"))


def sample_pem(work):
    """One real certificate, stored in every row (the list never parses it; the detail does)."""
    key, crt = os.path.join(work, "k.pem"), os.path.join(work, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-days", "90",
                    "-subj", "/CN=bench.example"], capture_output=True, check=True)
    with open(crt) as f:
        return f.read()


def seed(db_path, n, pem, rng):
    now = int(time.time())
    rows = []
    for i in range(n):
        kind = rng.random()
        source = "external" if kind < 0.45 else "file" if kind < 0.75 else "ca" if kind < 0.95 else "managed"
        name = {"external": "edge-%05d.example.com:443", "file": "/etc/ssl/legacy/app-%05d.pem",
                "ca": "svc-%05d.internal", "managed": "web-%05d"}[source] % i
        host = "host-%05d.example.com" % i
        sans = "\n".join([host, "www." + host] + (["api." + host] if i % 3 == 0 else []))
        not_after = now + rng.randint(-10 * 86400, 400 * 86400)
        lifetime = rng.choice([90, 90, 397, 30]) * 86400
        status = "superseded" if source == "managed" and i % 2 else "active"
        rows.append((name, source, rng.choice(ISSUERS), "%032x" % rng.getrandbits(128), sans,
                     not_after - lifetime, not_after, pem, "", status,
                     hashlib.sha256(name.encode()).hexdigest(), now))
    db = sqlite3.connect(db_path)
    with db:
        db.executemany(
            "INSERT INTO certificates (name, source, issuer, serial_hex, sans, not_before, "
            "not_after, cert_pem, chain_pem, status, fingerprint_sha256, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    total = db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]
    db.close()
    return total


def api_ms(daemon, token, path, runs=15):
    """Median and worst time of one list request, TLS handshake excluded (a new curl each)."""
    out_file = os.path.join(daemon.work, "api.json")
    times = []
    for _ in range(runs):
        out = subprocess.run(
            ["curl", "-s", "-o", out_file, "-w", "%{time_appconnect} %{time_total}", "--cacert",
             os.path.join(daemon.state, "ca-bundle.pem"), "-H", "Authorization: Bearer " + token,
             daemon.url + path], capture_output=True, text=True, check=True).stdout.split()
        times.append((float(out[1]) - float(out[0])) * 1000)
    with open(out_file) as f:
        body = json.load(f)
    return statistics.median(times), max(times), body


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--certkeeper", required=True)
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--loads", type=int, default=7)
    parser.add_argument("--pages", type=int, default=10, help="Next clicks timed after the loads")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ck-dashboard-bench-")
    daemon = Daemon(args.certkeeper, work)
    driver = wd = None
    try:
        log("initializing the state dir")
        daemon.start()
        daemon.stop()
        t0 = time.monotonic()
        total = seed(os.path.join(daemon.state, "certkeeper.db"), args.n, sample_pem(work),
                     random.Random(6))
        log("seeded %d rows in %.1f s (%d certificates in the store)" %
            (args.n, time.monotonic() - t0, total))
        daemon.start()
        token = daemon.token()

        first_ms, first_max, page = api_ms(daemon, token, "/v1/certificates?status=active&limit=100")
        deep = page["next_after"]
        for _ in range(20):  # walk 20 pages in, then time a deep page
            _, _, page = api_ms(daemon, token, "/v1/certificates?status=active&limit=100&after=%d" % deep, runs=1)
            deep = page["next_after"] or deep
        deep_ms, deep_max, _ = api_ms(daemon, token, "/v1/certificates?status=active&limit=100&after=%d" % deep)
        search_ms, search_max, found = api_ms(daemon, token, "/v1/certificates?status=active&limit=100&q=host-0421")
        print("RESULT dashboard_list_api n=%d first_page_p50_ms=%.1f first_page_max_ms=%.1f "
              "deep_page_p50_ms=%.1f deep_page_max_ms=%.1f search_p50_ms=%.1f search_max_ms=%.1f "
              "search_hits=%d" % (total, first_ms, first_max, deep_ms, deep_max, search_ms,
                                  search_max, len(found["certificates"])))

        driver, driver_url = start_chromedriver("/usr/bin/chromedriver", os.path.join(work, "driver.log"))
        wd = WebDriver(driver_url)
        wd.new_session("/usr/bin/chromium", [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=" + os.path.join(work, "profile"), "--window-size=1280,800",
            "--ignore-certificate-errors-spki-list=" + ",".join(
                spki_pins(os.path.join(daemon.state, "ca-bundle.pem"), daemon.url))])
        wd.viewport(1280, 800, mobile=False)
        wd.get(daemon.url + "/")
        deadline = time.monotonic() + 30
        while not wd.displayed("#login-form"):
            if time.monotonic() > deadline:
                raise SystemExit("no login form")
            time.sleep(0.1)
        wd.type("#token", token)
        wd.click("#login-button")

        samples = []
        for i in range(args.loads + 1):
            wd.get(daemon.url + "/")  # the session cookie logs the page straight in
            deadline = time.monotonic() + 30
            timings = None
            while time.monotonic() < deadline:
                timings = wd.execute("return (window.ckTimings && window.ckTimings.inventory && "
                                     "window.ckTimings.timeline) ? window.ckTimings : null;")
                if timings:
                    break
                time.sleep(0.02)
            if not timings:
                raise SystemExit("the dashboard did not render within 30 s")
            rows = wd.execute("return document.querySelectorAll('#inventory-body tr').length")
            if i == 0:
                continue  # warm-up: the first load also fills caches
            samples.append((timings["inventory"], timings["timeline"], rows))
            log("load %d: table %.0f ms, timeline %.0f ms, %d rows" % (i, *samples[-1]))
        # Paging: "Next" through the first pages (cursor requests), in-page time per page.
        pages = []
        for _ in range(args.pages):
            before = wd.execute("return Number(document.body.dataset.inventoryReady);")
            start = wd.execute("const t = performance.now(); document.getElementById('next').click(); return t;")
            deadline = time.monotonic() + 10
            while wd.execute("return Number(document.body.dataset.inventoryReady);") == before:
                if time.monotonic() > deadline:
                    raise SystemExit("the next page did not render")
                time.sleep(0.01)
            pages.append(wd.execute("return window.ckTimings.lastInventory;") - start)
        page_no = wd.text("#page-info")
        log("paged to %s: %s ms" % (page_no, ", ".join("%.0f" % p for p in pages)))
        print("RESULT dashboard_paging n=%d pages=%d next_page_p50_ms=%.0f next_page_max_ms=%.0f"
              % (total, len(pages), statistics.median(pages), max(pages)))
        table = [s[0] for s in samples]
        usable = [max(s[0], s[1]) for s in samples]
        print("RESULT dashboard_load n=%d loads=%d table_p50_ms=%.0f timeline_p50_ms=%.0f "
              "usable_p50_ms=%.0f usable_max_ms=%.0f rows=%d target_ms=1000" %
              (total, len(samples), statistics.median(table),
               statistics.median([s[1] for s in samples]), statistics.median(usable),
               max(usable), samples[-1][2]))
    finally:
        if wd is not None:
            wd.quit()
        if driver is not None and driver.poll() is None:
            driver.terminate()
            driver.wait(timeout=10)
        daemon.stop()
        if args.keep:
            log("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
