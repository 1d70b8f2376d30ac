#include "daemon/deploy/webhook_deployer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/encoding.hpp"
#include "common/file_util.hpp"
#include "common/http_client.hpp"
#include "common/log.hpp"
#include "daemon/deploy/served_serial.hpp"
#include "pki/digest.hpp"

namespace ck::deploy {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string Snippet(std::string_view body) {
  std::string s(body.substr(0, 200));
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

Result<WebhookOptions> ParseWebhookOptions(const nlohmann::json& target) {
  ASSIGN_OR_RETURN(TargetConfig c, TargetConfig::Open(target, {"url", "secret_file", "include_key",
                                                               "timeout", "retries", "ca_bundle",
                                                               "verify_addr", "verify_sni"}));
  WebhookOptions o;
  ASSIGN_OR_RETURN(o.url, c.RequiredString("url"));
  if (!StartsWith(o.url, "https://") && !StartsWith(o.url, "http://")) {
    return c.Error("url", "must start with https:// or http://");
  }
  ASSIGN_OR_RETURN(o.secret_file, c.RequiredString("secret_file"));
  ASSIGN_OR_RETURN(o.include_key, c.Bool("include_key", false));
  ASSIGN_OR_RETURN(o.timeout, c.Duration("timeout", std::chrono::seconds(30)));
  ASSIGN_OR_RETURN(o.retries, c.Int("retries", 3, 0, 20));
  ASSIGN_OR_RETURN(o.ca_bundle, c.String("ca_bundle"));
  ASSIGN_OR_RETURN(o.verify_addr, c.Address("verify_addr"));
  ASSIGN_OR_RETURN(o.verify_sni, c.String("verify_sni"));
  return o;
}

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  return HexEncode(pki::HmacSha256(ToBytes(secret), message));
}

Result<std::string> WebhookDeployer::ReadSecret() const {
  RETURN_IF_ERROR(CheckSecretFileMode(o_.secret_file));
  ASSIGN_OR_RETURN(std::string secret, ReadFile(o_.secret_file, 64 * 1024));
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) {
    secret.pop_back();
  }
  if (secret.empty())
    return FailedPreconditionError("webhook secret file " + o_.secret_file + " is empty");
  return secret;
}

std::string WebhookDeployer::Body(const Material& m) const {
  nlohmann::json j = {
      {"name", m.name},
      {"serial", m.serial_hex},
      {"not_after", FormatRfc3339(m.not_after)},
      {"domains", m.domains},
      {"cert", m.cert_pem},
      {"chain", m.chain_pem},
      {"fullchain", m.FullchainPem()},
  };
  if (o_.include_key) j["privkey"] = std::string(m.key_pem.view());
  return j.dump();
}

Status WebhookDeployer::Validate(const Material& m) {
  RETURN_IF_ERROR(CheckCertificateName(m.name));
  auto secret = ReadSecret();
  if (!secret.ok()) return secret.status();
  store::SecretString wipe(std::move(*secret));
  return OkStatus();
}

Status WebhookDeployer::Commit(const Material& m) {
  ASSIGN_OR_RETURN(std::string secret_text, ReadSecret());
  store::SecretString secret(std::move(secret_text));
  store::SecretString body(Body(m));  // holds the key when include_key

  http::ClientOptions topts;
  topts.ca_bundle = o_.ca_bundle;
  topts.user_agent = "certkeeper-webhook";
  topts.total_timeout = o_.timeout;
  topts.connect_timeout = std::min<std::chrono::milliseconds>(o_.timeout, std::chrono::seconds(10));
  topts.max_response_bytes = 64 * 1024;
  http::Connection connection;
  Clock& clock = env_.clock ? *env_.clock : DefaultClock();

  std::string last;
  auto backoff = o_.initial_backoff;
  for (int attempt = 0; attempt <= o_.retries; ++attempt) {
    // Signed afresh per attempt: a receiver that saw an earlier attempt treats the same
    // signature as a replay.
    std::string ts = std::to_string(ToUnixSeconds(clock.Now()));
    http::Request req;
    req.method = "POST";
    req.url = o_.url;
    req.headers = {
        {"Content-Type", "application/json"},
        {"X-Certkeeper-Timestamp", ts},
        {"X-Certkeeper-Signature", "sha256=" + WebhookSignature(secret.view(), ts, body.view())}};
    req.body = std::string(body.view());
    auto resp = connection.Do(req, topts);
    store::SecureWipe(req.body.data(), req.body.size());
    std::chrono::milliseconds wait = backoff;
    if (!resp.ok()) {
      last = resp.status().message();
    } else if (resp->status >= 200 && resp->status < 300) {
      log::Info("webhook accepted", {{"cert", m.name},
                                     {"serial", m.serial_hex},
                                     {"url", o_.url},
                                     {"status", std::to_string(resp->status)}});
      return OkStatus();
    } else if (resp->status >= 500 || resp->status == 429) {
      last = "HTTP " + std::to_string(resp->status) + ": " + Snippet(resp->body);
      // Retry-After in seconds (RFC 9110 §10.2.3); the date form is rare from webhooks.
      std::string ra = resp->Header("retry-after");
      int secs = 0;
      auto [end, ec] = std::from_chars(ra.data(), ra.data() + ra.size(), secs);
      if (!ra.empty() && ec == std::errc() && end == ra.data() + ra.size() && secs >= 0) {
        wait = std::min<std::chrono::milliseconds>(std::chrono::seconds(secs),
                                                   std::chrono::seconds(60));
      }
    } else {
      return FailedPreconditionError("webhook " + o_.url + " refused the push: HTTP " +
                                     std::to_string(resp->status) + ": " + Snippet(resp->body));
    }
    if (attempt == o_.retries) break;
    log::Warn("webhook push failed; retrying", {{"cert", m.name},
                                                {"url", o_.url},
                                                {"error", last},
                                                {"attempt", std::to_string(attempt + 1)}});
    clock.SleepUntil(clock.Now() + wait, [] { return false; });
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
  }
  return UnavailableError("webhook " + o_.url + ": gave up after " +
                          std::to_string(o_.retries + 1) + " attempts; last: " + last);
}

Status WebhookDeployer::Verify(const Material& m) {
  if (!o_.verify_addr) return OkStatus();
  std::string sni = o_.verify_sni.empty() && !m.domains.empty() ? m.domains.front() : o_.verify_sni;
  return WaitForServedSerial(env_.clock ? *env_.clock : DefaultClock(), *o_.verify_addr, sni,
                             m.serial_hex, env_.verify_timeout);
}

}  // namespace ck::deploy
