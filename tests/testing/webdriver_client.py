"""A small W3C WebDriver client over HTTP (urllib + json only) for chromedriver.

Shared by tests/e2e/dashboard_chromium_test.py and bench/dashboard_load.py. Only what those
need: sessions, navigation, elements by CSS selector, script execution, screenshots, viewport
emulation (Chromium DevTools through chromedriver's goog/cdp endpoint) and the browser log.
"""

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"  # W3C WebDriver §12.1 web element id


class WebDriverError(Exception):
    pass


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chromedriver(binary, log_path, timeout=20):
    """Starts chromedriver on a free loopback port; returns (Popen, base URL)."""
    port = _free_port()
    proc = subprocess.Popen([binary, "--port=%d" % port, "--log-path=" + log_path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/status", timeout=2) as r:
                if json.load(r).get("value", {}).get("ready"):
                    return proc, url
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if proc.poll() is not None:
            raise WebDriverError("chromedriver exited with %d" % proc.returncode)
        time.sleep(0.1)
    proc.terminate()
    raise WebDriverError("chromedriver did not become ready")


def _spki_pin_of_pem(pem):
    """base64(SHA-256(SubjectPublicKeyInfo)) of one PEM certificate, with the openssl CLI."""
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout"], input=pem.encode(),
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         capture_output=True, check=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                            capture_output=True, check=True).stdout
    return base64.b64encode(digest).decode()


def spki_pins(ca_bundle_path, url):
    """Pins of the CA bundle's certificates and of the leaf `url` serves (verified against
    that bundle first), for Chromium's --ignore-certificate-errors-spki-list."""
    with open(ca_bundle_path) as f:
        text = f.read()
    blocks = ["-----BEGIN CERTIFICATE-----" + b.split("-----END CERTIFICATE-----")[0] +
              "-----END CERTIFICATE-----\n"
              for b in text.split("-----BEGIN CERTIFICATE-----")[1:]]
    pins = [_spki_pin_of_pem(b) for b in blocks]
    host_port = url.split("://", 1)[1].rstrip("/")
    served = subprocess.run(
        ["openssl", "s_client", "-connect", host_port, "-CAfile", ca_bundle_path,
         "-verify_return_error"], input=b"", capture_output=True, timeout=30)
    if served.returncode != 0:
        raise WebDriverError("the daemon's certificate does not verify against its CA bundle: " +
                             served.stderr.decode(errors="replace")[-500:])
    out = served.stdout.decode(errors="replace")
    start = out.find("-----BEGIN CERTIFICATE-----")
    end = out.find("-----END CERTIFICATE-----")
    if start >= 0 and end > start:
        pins.append(_spki_pin_of_pem(out[start:end + len("-----END CERTIFICATE-----")] + "\n"))
    return pins


class WebDriver:
    def __init__(self, base_url):
        self.base = base_url
        self.session = None

    def _call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                payload = json.load(r)
        except urllib.error.HTTPError as e:
            try:
                payload = json.load(e)
            except ValueError:
                raise WebDriverError("%s %s: HTTP %d" % (method, path, e.code)) from None
            value = payload.get("value", {})
            raise WebDriverError("%s %s: %s: %s" % (method, path, value.get("error"),
                                                    str(value.get("message", ""))[:500])) from None
        return payload.get("value")

    def _s(self, path):
        return "/session/%s%s" % (self.session, path)

    def new_session(self, binary, args):
        value = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": False,
            "goog:chromeOptions": {"binary": binary, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}}, timeout=120)
        self.session = value["sessionId"]

    def quit(self):
        if self.session:
            try:
                self._call("DELETE", self._s(""), timeout=30)
            except (WebDriverError, urllib.error.URLError, OSError):
                pass
            self.session = None

    def get(self, url):
        self._call("POST", self._s("/url"), {"url": url})

    def cdp(self, cmd, params):
        return self._call("POST", self._s("/goog/cdp/execute"), {"cmd": cmd, "params": params})

    def viewport(self, width, height, mobile):
        """Exact CSS viewport (the window's own size would include browser chrome)."""
        self.cdp("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def find_all(self, css):
        found = self._call("POST", self._s("/elements"), {"using": "css selector", "value": css})
        return [e[ELEMENT_KEY] for e in found]

    def find(self, css):
        found = self.find_all(css)
        if not found:
            raise WebDriverError("no element matches %r" % css)
        return found[0]

    def click(self, css):
        self._call("POST", self._s("/element/%s/click" % self.find(css)), {})

    def type(self, css, text):
        self._call("POST", self._s("/element/%s/value" % self.find(css)), {"text": text})

    def clear(self, css):
        self._call("POST", self._s("/element/%s/clear" % self.find(css)), {})

    def text(self, css):
        found = self.find_all(css)
        if not found:
            return ""
        return self._call("GET", self._s("/element/%s/text" % found[0]))

    def displayed(self, css):
        found = self.find_all(css)
        return bool(found) and self._call("GET", self._s("/element/%s/displayed" % found[0]))

    def execute(self, script, *args):
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", self._s("/screenshot")))
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as f:
            f.write(png)

    def severe_console_errors(self):
        """SEVERE browser log entries (script errors, CSP violations, failed loads), except
        the expected HTTP errors of API probes (e.g. 401 before login, 404 alerts)."""
        try:
            entries = self._call("POST", self._s("/se/log"), {"type": "browser"})
        except WebDriverError:
            return []
        bad = []
        for e in entries or []:
            msg = e.get("message", "")
            if e.get("level") != "SEVERE":
                continue
            if "Failed to load resource: the server responded with a status of" in msg:
                continue
            bad.append(msg)
        return bad
