// The example configuration `certkeeper config example` prints. Kept byte-identical to
// examples/certkeeper.toml (a test compares them and parses both), so the shipped example and
// the printed one never drift apart or stop parsing.
#include "daemon/config/config.hpp"

namespace ck::config {

std::string_view ExampleConfigText() {
  static constexpr std::string_view kText =
      R"toml(# certkeeper configuration (TOML), printed by `certkeeper config example`.
# Check a file with `certkeeper config check --config FILE`: unknown keys, bad values and broken
# references are reported as FILE:LINE: KEY: reason. Every top-level key is optional.

# state_dir holds the SQLite database and, in --dev mode, the generated master key.
state_dir = "/var/lib/certkeeper"

# Admin API and dashboard. Keep it on loopback unless you put mTLS in front.
listen = "127.0.0.1:8443"

# 32-byte master key that seals private keys at rest (mode 0600 or 0400). When unset,
# certkeeper reads $CREDENTIALS_DIRECTORY/master-key (systemd LoadCredential=master-key:...).
# master_key_file = "/etc/certkeeper/master.key"

[log]
level = "info"    # debug | info | warn | error
format = "text"   # text | json

# Prometheus metrics at GET /metrics on the admin API. access = "token" (default): any
# authenticated identity (bearer token or client certificate); "loopback": a Prometheus on this
# host scrapes without credentials (requests from elsewhere still need them).
[metrics]
access = "token"

# --- Internal CA -------------------------------------------------------------------------------
# Without [ca.profiles.*] the built-in profiles server, client and peer exist (24h lifetime and
# maximum). Once one profile is defined, exactly the defined ones exist; a profile named
# server/client/peer starts from that built-in's settings.
[ca]
organization = "Example Corp"
# trust_domain = "example.org"         # SPIFFE IDs (spiffe://...) must then be in it

[ca.profiles.server]
lifetime = "24h"
max_lifetime = "7d"
allow_dns = ["**.svc.internal"]

[ca.profiles.workload]
ekus = ["clientAuth", "serverAuth"]
san_types = ["uri", "dns"]
lifetime = "1h"
max_lifetime = "24h"
allow_uri = ["spiffe://example.org/ns/*/sa/*"]

# --- ACME ----------------------------------------------------------------------------------------
[acme]
# PEM file trusted for the ACME servers' own HTTPS (e.g. Pebble's test CA); default: system trust.
# ca_bundle = "/etc/certkeeper/pebble.minica.pem"
http_listen = "0.0.0.0:80"    # built-in http-01 listener ("[::]:80" for IPv6 too)
tls_listen = "0.0.0.0:443"    # built-in tls-alpn-01 listener
# IPv4[:port] nameservers polled until a dns-01 TXT record is visible.
# dns_resolvers = ["192.0.2.53", "198.51.100.53:53"]

# One table per account; certificates name it as issuer = "acme:NAME".
[acme.accounts.le]
server = "https://acme-v02.api.letsencrypt.org/directory"
email = "ops@example.com"     # optional; becomes the mailto: contact
key = "ecdsa-p256"            # account key: ecdsa-p256 | ecdsa-p384 | rsa2048..rsa4096 | ed25519

[acme.accounts.zerossl]
server = "https://acme.zerossl.com/v2/DV90"
email = "ops@example.com"
# External Account Binding: the key id and a file holding the base64url HMAC key (mode 0600).
eab_kid = "kid-from-zerossl"
eab_hmac_file = "/etc/certkeeper/zerossl.hmac"

# --- Alerts ---------------------------------------------------------------------------------------
# Conditions: expiry thresholds (one notice per crossing, per certificate serial), renewal failure
# streaks, renewals overdue against their plan, failed deploy verification, endpoint problems and
# CA intermediates nearing expiry. A resolved notice follows when the condition clears. Without
# [[alerts.channel]] alerts go to the log. Test the channels with `certkeeper alert test`.
[alerts]
thresholds = ["30d", "14d", "7d", "3d", "1d"]
failure_streak = 3           # consecutive renewal failures
overdue_grace = "1h"         # renewal this long past its planned time
ca_warn_before = "60d"       # CA intermediate nearing expiry
interval = "1m"              # how often conditions are evaluated
repeat_interval = "24h"      # remind of an unacknowledged open alert; "0s" = notify once

  [[alerts.channel]]
  type = "email"                       # smtp:// with STARTTLS (required), or smtps://
  smtp = "smtp://mail.example.com:587"
  from = "certkeeper@example.com"
  to = ["ops@example.com"]
  # username = "certkeeper"
  # password_file = "/etc/certkeeper/smtp.password"   # mode 0600
  # ca_bundle = "/etc/ssl/certs/smtp-ca.pem"
  # min_severity = "warning"           # info | warning | critical

  [[alerts.channel]]
  type = "webhook"                     # JSON; signed like the deploy webhook when secret_file is set
  url = "https://hooks.example.com/certs"

  [[alerts.channel]]
  name = "chat"
  type = "slack"                       # Slack-compatible incoming webhook: {"text": "..."}
  url = "https://hooks.slack.com/services/T000/B000/XXXX"

# --- Managed certificates ------------------------------------------------------------------------
# name: [a-z0-9][a-z0-9._-]*, unique; used in paths (live/NAME/...).
# issuer: "acme:ACCOUNT" or "ca:PROFILE"; fallback_issuer (same syntax) takes over after
# failover_after consecutive failures (default 3).
# key: ecdsa-p256 (default) | ecdsa-p384 | rsa2048 | rsa3072 | rsa4096 | ed25519
# key_policy: "new" (default, a fresh key each renewal) | "reuse"
# Renewal: when 1/3 of the lifetime remains (1/2 under 10 days) or the CA's ARI window;
# renew_before = "30d" overrides the fraction; jitter = 0.02 (fraction of the lifetime, max 0.1).

[[certificate]]
name = "web"
domains = ["example.com", "www.example.com"]
issuer = "acme:le"
fallback_issuer = "acme:zerossl"
failover_after = 3
solver = "http-01"            # http-01 | tls-alpn-01 | dns-01 (wildcards need dns-01)
# webroot = "/var/www/html"   # http-01 through an existing web server instead of http_listen
# profile = "tlsserver"       # ACME profile, when the CA offers them (classic, shortlived, ...)
# preferred_chain = "ISRG Root X1"
key = "ecdsa-p256"
key_policy = "new"
renew_before = "30d"

  # Change freeze: no renewal or deploy inside [start, end) unless expiry would come first.
  [[certificate.freeze]]
  name = "black-friday"
  start = "2026-11-27T00:00:00Z"
  end = "2026-12-01T00:00:00Z"

  # Deploy targets run in order: validate, commit, verify.
  [[certificate.deploy]]
  type = "files"                       # live/web/{cert,chain,fullchain,privkey}.pem
  dir = "/etc/certkeeper"

  [[certificate.deploy]]
  type = "nginx"                       # nginx -t -c conf, then reload; verify on verify_addr
  conf = "/etc/nginx/nginx.conf"
  verify_addr = "127.0.0.1:443"

  # Pin rotation: the next key's SPKI pin is published `overlap` before it enters service.
  [certificate.pins]
  overlap = "30d"

[[certificate]]
name = "wildcard"
domains = ["*.example.com", "example.com"]
issuer = "acme:le"
solver = "dns-01"
# lego-compatible hook: PROG present|cleanup FQDN VALUE. Or RFC 2136:
#   dns_rfc2136 = "192.0.2.53:53"
#   tsig_key = "/etc/certkeeper/tsig.key"   # tsig-keygen output
#   dns_zone = "example.com"                # optional; found by SOA queries otherwise
dns_exec = "/usr/local/bin/dns-hook"
key = "ecdsa-p384"

  [[certificate.deploy]]
  type = "haproxy"                     # runtime API: set ssl cert + commit ssl cert, no reload
  socket = "/run/haproxy/admin.sock"
  cert_path = "/etc/haproxy/certs/wildcard.pem"
  verify_addr = "127.0.0.1:8443"

[[certificate]]
name = "api.svc"
domains = ["api.svc.internal", "10.0.0.7"]
issuer = "ca:server"
lifetime = "24h"              # ca: issuers only; at most the profile's max_lifetime

  [[certificate.deploy]]
  type = "files"
  dir = "/etc/certkeeper"

  [[certificate.deploy]]
  type = "exec"                        # certbot-style env: RENEWED_LINEAGE, RENEWED_DOMAINS
  command = "/usr/bin/systemctl reload api.service"   # run with /bin/sh -c

[[certificate]]
name = "billing-workload"
uris = ["spiffe://example.org/ns/billing/sa/worker"]
issuer = "ca:workload"
lifetime = "1h"
jitter = 0.05

  [[certificate.deploy]]
  type = "webhook"                     # signed JSON push (HMAC-SHA256), retried with backoff
  url = "https://billing.internal/certs"
  secret_file = "/etc/certkeeper/billing-webhook.key"

  [[certificate.deploy]]
  type = "pull"                        # mTLS clients fetch GET /v1/bundles/billing-workload
  consumers = ["billing-worker"]      # their identities (spiffe://.../certkeeper/consumer/NAME)

# Besides its own certificates, certkeeper watches external TLS endpoints and certificate files:
# expired or expiring (leaf or intermediate), hostname mismatch, unknown authority, weak key,
# SHA-1 signature, TLS < 1.2 still offered. Results: GET /v1/watch; once from a shell:
# `certkeeper watch check`. Optional per watch: name, ca_bundle (default: system store), timeout.
[[watch]]
endpoint = "mail.example.com:25"     # host:port; sni defaults to the host
starttls = "smtp"                    # optional: smtp | imap | postgres

[[watch]]
files = ["/etc/ssl/legacy/*.pem"]    # a glob or an array of globs (absolute)

[monitor]
interval = "1h"                      # how often each watch is checked
concurrency = 8                      # checks at once
timeout = "10s"                      # connect + STARTTLS + handshake, per check
warn_before = "30d"                  # "expiring" threshold for leaf and intermediates
)toml";
  return kText;
}

}  // namespace ck::config
