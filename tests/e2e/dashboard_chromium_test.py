#!/usr/bin/env python3
"""The dashboard end to end in headless Chromium (issue 6).

Starts a real `certkeeper serve` with managed certificates of different lifetimes from the
internal CA, creates an admin token with the CLI, then drives Debian's chromium through
chromedriver over the W3C WebDriver HTTP protocol (stdlib only): log in, see the seeded
certificates in order of time left with their urgency colours, see the timeline, filter with
the search box, open a detail, press "Renew now" and watch the renewal event arrive. Saves
screenshots at 1280x800 and 390x844 and prints their paths. The session cookie's flags are
checked from the raw Set-Cookie header with curl, and a cookie-only change without the CSRF
token is refused.

Chromium trusts the daemon through --ignore-certificate-errors-spki-list with the SPKI pins of
the daemon's own CA bundle (Debian ships no certutil to put the CA into an NSS database);
errors for any other certificate still fail.

Exit 0 on success, 1 on a failed check, 77 (CTest skip) when chromium/chromedriver are absent.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testing"))
from webdriver_client import WebDriver, WebDriverError, start_chromedriver, spki_pins  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# name -> lifetime. Renewal is planned when 1/3 of the lifetime remains, so none is due at
# start; sorted by time left: soon (critical, < 7 d), month (warning, < 30 d), later, far.
SEEDED = [("far", "80d"), ("soon", "5d"), ("later", "45d"), ("month", "20d")]
EXPECTED_ORDER = ["soon", "month", "later", "far"]
EXPECTED_URGENCY = {"soon": "critical", "month": "warning", "later": "ok", "far": "ok"}


class CheckFailed(Exception):
    pass


def check(cond, message):
    if not cond:
        raise CheckFailed(message)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, fn, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except WebDriverError as e:
            last = e
        time.sleep(interval)
    raise CheckFailed("timed out waiting for %s (last: %r)" % (what, last))


class Daemon:
    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.state = os.path.join(work, "state")
        self.port = free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(work, "daemon.log")
        self.proc = None

    def write_config(self):
        deploy = os.path.join(self.work, "deploy")
        os.makedirs(deploy, exist_ok=True)
        lines = [
            'state_dir = "%s"' % self.state,
            'listen = "127.0.0.1:%d"' % self.port,
            "[ca.profiles.server]",
            'max_lifetime = "100d"',
            # Evaluated every second, so the expiry alerts of "soon" (7d) and "month" (30d)
            # are open by the time the browser logs in.
            "[alerts]",
            'interval = "1s"',
        ]
        for name, lifetime in SEEDED:
            lines += [
                "[[certificate]]",
                'name = "%s"' % name,
                'domains = ["%s.svc.test", "%s-alt.svc.test"]' % (name, name),
                'issuer = "ca:server"',
                'lifetime = "%s"' % lifetime,
                "  [[certificate.deploy]]",
                '  type = "files"',
                '  dir = "%s"' % deploy,
            ]
            if name == "soon":  # a pin set, shown with its windows in the detail
                lines += ["  [certificate.pins]", '  overlap = "1h"']
        path = os.path.join(self.work, "certkeeper.toml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self):
        config = self.write_config()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.binary, "serve", "--dev", "--config", config],
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(os.path.exists(os.path.join(self.state, f))
                   for f in ("admin.url", "cli-token", "ca-bundle.pem")):
                return
            if self.proc.poll() is not None:
                raise CheckFailed("daemon exited at start:\n" + self.log())
            time.sleep(0.05)
        raise CheckFailed("daemon did not publish admin.url:\n" + self.log())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to this pid only
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def ca_bundle(self):
        return os.path.join(self.state, "ca-bundle.pem")

    def cli(self, *args):
        out = subprocess.run([self.binary, *args, "--state-dir", self.state],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise CheckFailed("certkeeper %s failed (%d): %s%s" %
                              (" ".join(args), out.returncode, out.stdout, out.stderr))
        return out.stdout

    def api(self, method, path, token, body=None):
        """The admin API with a bearer token, via curl trusting only the daemon's CA."""
        cmd = ["curl", "-s", "-w", "\n%{http_code}", "--cacert", self.ca_bundle(),
               "-H", "Authorization: Bearer " + token, "-X", method, self.url + path]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "--data", json.dumps(body)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
        text, _, code = out.rpartition("\n")
        return int(code or 0), text


def wait_issued(daemon, token):
    def all_valid():
        code, body = daemon.api("GET", "/v1/managed", token)
        if code != 200:
            return False
        certs = {c["name"]: c for c in json.loads(body)["certificates"]}
        return all(certs.get(n, {}).get("serial") for n, _ in SEEDED) and certs
    return wait_for("the seeded certificates to be issued", all_valid, timeout=60, interval=0.5)


def curl_login(daemon, token):
    """POST /v1/session with curl; returns (status, Set-Cookie header, body)."""
    out = subprocess.run(
        ["curl", "-s", "-D", "-", "--cacert", daemon.ca_bundle(), "-H",
         "Content-Type: application/json", "--data", json.dumps({"token": token}),
         daemon.url + "/v1/session"], capture_output=True, text=True, timeout=30).stdout
    # text mode turned the header lines' CRLF into "\n"
    head, _, body = out.partition("\n\n")
    status = int(head.split(" ", 2)[1])
    cookie = ""
    for line in head.split("\n"):
        if line.lower().startswith("set-cookie:"):
            cookie = line.split(":", 1)[1].strip()
    return status, cookie, body


def check_cookie_and_csrf(daemon, admin_token):
    status, cookie, body = curl_login(daemon, admin_token)
    check(status == 201, "login answered %d: %s" % (status, body))
    attrs = [a.strip() for a in cookie.split(";")]
    check(attrs[0].startswith("ck_session=") and len(attrs[0]) > len("ck_session=") + 40,
          "session cookie: " + cookie)
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        check(flag in attrs, "Set-Cookie lacks %s: %s" % (flag, cookie))
    print("Set-Cookie flags ok: " + "; ".join(a for a in attrs[1:]))
    csrf = json.loads(body)["csrf_token"]
    session = attrs[0]

    def post(headers):
        cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
               daemon.ca_bundle(), "-H", "Cookie: " + session, "-H",
               "Content-Type: application/json", "--data", '{"force":true}']
        for h in headers:
            cmd += ["-H", h]
        cmd.append(daemon.url + "/v1/managed/far/renew")
        return int(subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout)

    check(post([]) == 403, "a cookie-only change without X-CSRF-Token was not refused")
    check(post(["X-CSRF-Token: forged"]) == 403, "a forged CSRF token was not refused")
    check(post(["X-CSRF-Token: " + csrf, "Origin: https://evil.example"]) == 403,
          "a foreign Origin was not refused")
    print("CSRF: missing/forged token and foreign Origin refused (403)")


def row_names(wd):
    return wd.execute(
        "return Array.from(document.querySelectorAll('#inventory-body tr'))"
        ".map(r => [r.dataset.name, r.className, r.querySelector('td.days').textContent,"
        " r.querySelector('td.status').textContent, r.cells[6].textContent,"
        " r.querySelector('td.name small').textContent]);")


def run(args):
    work = tempfile.mkdtemp(prefix="ck-dashboard-")
    daemon = Daemon(args.binary, work)
    driver_proc = None
    wd = None
    ok = False
    try:
        daemon.start()
        cli_token = open(os.path.join(daemon.state, "cli-token")).read().strip()
        wait_issued(daemon, cli_token)
        out = daemon.cli("token", "create", "--role", "admin", "--name", "dashboard-e2e")
        admin_token = re.search(r"ckt_[A-Za-z0-9_-]{43}", out).group(0)
        out = daemon.cli("token", "create", "--role", "viewer", "--name", "dashboard-viewer")
        viewer_token = re.search(r"ckt_[A-Za-z0-9_-]{43}", out).group(0)

        check_cookie_and_csrf(daemon, admin_token)

        def open_alert(subject):
            code, text = daemon.api("GET", "/v1/alerts?state=open", cli_token)
            if code != 200:
                return None
            for a in json.loads(text).get("alerts", []):
                if a.get("subject") == subject and a.get("kind") == "expiry":
                    return a
            return None
        soon_alert = wait_for("the expiry alert of 'soon'", lambda: open_alert("soon"))

        driver_proc, driver_url = start_chromedriver(CHROMEDRIVER, os.path.join(work, "driver.log"))
        pins = spki_pins(daemon.ca_bundle(), daemon.url)
        wd = WebDriver(driver_url)
        wd.new_session(CHROMIUM, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=" + os.path.join(work, "chromium-profile"),
            "--window-size=1280,800",
            "--ignore-certificate-errors-spki-list=" + ",".join(pins),
        ])
        wd.viewport(1280, 800, mobile=False)

        # --- log in ---
        wd.get(daemon.url + "/")
        wait_for("the login form", lambda: wd.displayed("#login-form"))
        wd.type("#token", admin_token)
        wd.click("#login-button")
        wait_for("the inventory", lambda: wd.execute(
            "return document.body.dataset.inventoryReady && "
            "document.querySelectorAll('#inventory-body tr').length > 0"))
        check(wd.text("#who-role") == "admin", "role badge: " + wd.text("#who-role"))

        # --- seeded certificates, by time left, coloured by urgency ---
        rows = row_names(wd)
        seeded = [r for r in rows if r[0] in EXPECTED_URGENCY]
        names = [r[0] for r in seeded]
        check(names == EXPECTED_ORDER, "rows in order %s, expected %s (all: %s)" %
              (names, EXPECTED_ORDER, rows))
        for name, cls, days, status, next_renewal, source in seeded:
            want = "urgency-" + EXPECTED_URGENCY[name]
            check(want in cls.split(), "%s row has class %r, expected %s" % (name, cls, want))
            # The lifecycle's view is merged in: state, planned renewal, "managed".
            check(status == "valid" and next_renewal.startswith("in ") and "managed" in source,
                  "%s row: status %r, next renewal %r, source %r" % (name, status, next_renewal, source))
        days = [int(r[2]) for r in seeded]
        check(days == sorted(days) and days[0] <= 5 and days[-1] >= 70, "days left: %s" % days)
        print("inventory order ok: " + ", ".join("%s (%s d)" % (r[0], r[2]) for r in seeded))

        # --- timeline: expiries of soon/month/later inside 90 days, planned renewals ---
        wait_for("the timeline", lambda: wd.execute("return document.body.dataset.timelineReady"))
        bars = wd.execute("return Array.from(document.querySelectorAll('#timeline rect.bar'))"
                          ".reduce((n, b) => n + Number(b.dataset.count), 0);")
        marks = wd.execute("return Array.from(document.querySelectorAll('#timeline path.renewal'))"
                           ".map(p => p.dataset.name);")
        check(bars >= 4, "timeline shows %d expiries in 90 days, expected >= 4" % bars)
        check(set(n for n, _ in SEEDED) <= set(marks), "renewal marks: %s" % marks)
        print("timeline ok: %d expiries, renewals planned for %s" % (bars, sorted(marks)))
        shot = os.path.join(args.out_dir, "dashboard-1280x800.png")
        wd.screenshot(shot)
        print("screenshot: " + shot)

        # --- open alerts, acknowledged from the page ---
        alerts = wd.execute("return document.getElementById('alerts-body').dataset.state")
        check(alerts == "loaded", "alerts panel state: %r" % alerts)
        item = '#alerts-body li[data-id="%d"]' % soon_alert["id"]
        wait_for("the alert of 'soon' on the page", lambda: wd.displayed(item))
        check("soon" in wd.text(item), "alert item: %r" % wd.text(item))
        wd.click(item + " button.ack")
        wait_for("the acknowledgement on the page", lambda: "acknowledged by" in wd.text(item))
        acked = open_alert("soon")
        check(acked is not None and acked["id"] == soon_alert["id"] and acked.get("acknowledged_at")
              and "dashboard-e2e" in acked.get("acknowledged_by", ""),
              "alert after ack: %r" % acked)
        print("alert %d acknowledged from the dashboard by %s" %
              (acked["id"], acked["acknowledged_by"]))

        # --- search filters the table ---
        wd.type("#search", "month-alt")
        wait_for("the search result", lambda: [r[0] for r in row_names(wd)] == ["month"])
        print("search 'month-alt' -> %s" % [r[0] for r in row_names(wd)])

        # --- the source filter: no external endpoint is watched here ---
        def select(css, value):
            wd.execute("const s = document.querySelector(arguments[0]); s.value = arguments[1];"
                       "s.dispatchEvent(new Event('change'));", css, value)
        select("#filter-source", "external")
        wait_for("the empty external list", lambda: not row_names(wd) and
                 "No certificate matches" in wd.text("#inventory-message"))
        select("#filter-source", "ca")
        wait_for("the CA-issued list", lambda: [r[0] for r in row_names(wd)] == ["month"])
        print("source filter: external -> none, internal CA -> %s" % [r[0] for r in row_names(wd)])

        # --- detail ---
        wd.click("#inventory-body tr[data-name='month']")
        wait_for("the detail", lambda: wd.displayed("#detail") and wd.text("#detail-title") == "month")
        wait_for("the chain", lambda: len(wd.find_all("#detail-body table tbody tr")) >= 2)
        body = wd.text("#detail-body")
        for needle in ("month.svc.test", "month-alt.svc.test", "pin-sha256=", "files"):
            check(needle in body, "detail lacks %r:\n%s" % (needle, body))
        check("PRIVATE KEY" not in body, "the detail shows key material")
        before = wd.execute("return document.querySelectorAll('#detail-events li[data-kind=renewed]').length")
        check(before >= 1, "no issuance event in the detail")

        # --- renew now ---
        wd.click("#renew-now")
        wait_for("the renewal event", lambda: wd.execute(
            "return document.querySelectorAll('#detail-events li[data-kind=renewed]').length") > before,
            timeout=90, interval=0.5)
        message = wait_for("the renewal message", lambda: "Renewed" in wd.text("#detail-message")
                           and wd.text("#detail-message"))
        print("renew now -> " + message)
        shot = os.path.join(args.out_dir, "dashboard-detail-1280x800.png")
        wd.screenshot(shot)
        print("screenshot: " + shot)

        # --- revoke a CA-issued certificate, with the confirmation step ---
        code, issued = daemon.api("POST", "/v1/certificates/issue", cli_token,
                                  {"profile": "server", "name": "adhoc", "dns": ["adhoc.svc.test"]})
        check(code == 201, "issue adhoc: %d %s" % (code, issued))
        serial = json.loads(issued)["serial"]
        wd.click("#detail-close")
        wd.clear("#search")
        wd.type("#search", "adhoc.svc")
        wait_for("the adhoc row", lambda: [r[0] for r in row_names(wd)] == ["adhoc"])
        wd.click("#inventory-body tr[data-name='adhoc']")
        wait_for("the adhoc detail", lambda: wd.text("#detail-title") == "adhoc" and wd.find_all("#revoke"))
        check(not wd.find_all("#renew-now"), "renew offered for a certificate without a lifecycle")
        wd.click("#revoke")
        wait_for("the confirmation", lambda: wd.displayed("#revoke-confirm"))
        check(serial in wd.text("#detail-actions"), "the confirmation does not name the serial")
        code, body = daemon.api("GET", "/v1/certificates?serial=" + serial, cli_token)
        check(json.loads(body)["certificates"][0]["status"] == "active",
              "revoked before the confirmation")
        wd.click("#revoke-confirm")
        wait_for("the revocation", lambda: "Revoked" in wd.text("#detail-message"))
        code, body = daemon.api("GET", "/v1/certificates?serial=" + serial, cli_token)
        check(json.loads(body)["certificates"][0]["status"] == "revoked",
              "the store does not show the revocation: " + body)
        check(not wd.find_all("#revoke"), "revoke still offered after the revocation")
        print("revoke with confirmation -> serial %s revoked" % serial)

        # --- phone size ---
        wd.click("#detail-close")
        wd.clear("#search")
        wd.type("#search", ".svc.test")
        wait_for("all seeded rows", lambda: len(row_names(wd)) >= 4)
        wd.viewport(390, 844, mobile=True)
        time.sleep(0.3)  # the chart redraws on resize (debounced 100 ms)
        overflow = wd.execute("return document.documentElement.scrollWidth - window.innerWidth")
        check(overflow <= 0, "the page is %d px wider than a 390 px screen" % overflow)
        shot = os.path.join(args.out_dir, "dashboard-390x844.png")
        wd.screenshot(shot)
        print("screenshot: " + shot)

        # --- a viewer sees no actions ---
        wd.viewport(1280, 800, mobile=False)
        wd.click("#logout")
        wait_for("the login form after logout", lambda: wd.displayed("#login-form"))
        wd.type("#token", viewer_token)
        wd.click("#login-button")
        wait_for("the viewer's inventory", lambda: wd.text("#who-role") == "viewer" and len(row_names(wd)) > 0)
        wd.click("#inventory-body tr[data-name='soon']")
        wait_for("the viewer's detail", lambda: wd.text("#detail-title") == "soon" and
                 "soon.svc.test" in wd.text("#detail-body"))
        check(not wd.find_all("#renew-now") and not wd.find_all("#revoke"),
              "a viewer is offered actions")
        pins = wd.execute(
            "const h = Array.from(document.querySelectorAll('#detail-body h3'))"
            ".find(e => e.textContent === 'Pins');"
            "return h ? Array.from(h.parentElement.querySelectorAll('tbody tr'))"
            ".map(r => Array.from(r.cells).map(c => c.textContent)) : null;")
        check(pins and len(pins) >= 2, "the pins of 'soon' with their windows: %s" % pins)
        states = sorted(p[1] for p in pins)
        check(any(p[3] != "—" for p in pins), "no pin has an active-from time: %s" % pins)
        print("pins of 'soon': %s" % states)
        wd.execute("const h = Array.from(document.querySelectorAll('#detail-body h3'))"
                   ".find(e => e.textContent === 'Pins'); h.scrollIntoView();")
        shot = os.path.join(args.out_dir, "dashboard-viewer-pins-1280x800.png")
        wd.screenshot(shot)
        print("screenshot: " + shot)
        print("viewer: no actions offered")

        errors = wd.severe_console_errors()
        check(not errors, "browser console errors (CSP violations?): %s" % errors)
        violations = wd.execute("return window.ckCspViolations;")
        check(violations == [], "CSP violations: %s" % violations)
        # The policy is enforced: an injected inline script does not run and is reported.
        wd.execute("const s = document.createElement('script'); s.textContent = 'window.ckInline = 1';"
                   "document.body.append(s);")
        wait_for("the CSP report", lambda: wd.execute("return window.ckCspViolations.length") > 0)
        check(wd.execute("return window.ckInline === undefined"), "an inline script ran")
        print("CSP: no violations by the page; an injected inline script was blocked (%s)"
              % wd.execute("return window.ckCspViolations[0]"))
        ok = True
    except (CheckFailed, WebDriverError) as e:
        print("FAILED: %s" % e, file=sys.stderr)
        if wd is not None:
            try:
                shot = os.path.join(args.out_dir, "dashboard-failure.png")
                wd.screenshot(shot)
                print("failure screenshot: " + shot, file=sys.stderr)
            except Exception:  # noqa: BLE001 - best effort while reporting a failure
                pass
        print("--- daemon log (tail) ---\n" + daemon.log(), file=sys.stderr)
    finally:
        if wd is not None:
            wd.quit()
        if driver_proc is not None and driver_proc.poll() is None:
            driver_proc.terminate()
            driver_proc.wait(timeout=10)
        daemon.stop()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept " + work, file=sys.stderr)
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True, help="the certkeeper binary")
    parser.add_argument("--out-dir", required=True, help="where screenshots go")
    args = parser.parse_args()
    for tool in (CHROMIUM, CHROMEDRIVER, "/usr/bin/openssl", shutil.which("curl") or "/nonexistent"):
        if not os.path.exists(tool):
            print("SKIP: %s is not installed (scripts/install-deps.sh --test)" % tool)
            return 77
    os.makedirs(args.out_dir, exist_ok=True)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
