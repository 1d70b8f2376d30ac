#include "tests/acme/scripted_acme_server.hpp"

#include <httplib.h>

#include <cstdlib>

#include "acme/ari.hpp"
#include "common/encoding.hpp"
#include "pki/csr.hpp"

namespace ck::acme::testing {
namespace {

using nlohmann::json;

void Problem(httplib::Response& res, int status, const std::string& type,
             const std::string& detail) {
  res.status = status;
  res.set_content(
      json{{"type", "urn:ietf:params:acme:error:" + type}, {"detail", detail}, {"status", status}}
          .dump(),
      "application/problem+json");
}

struct Jws {
  json header;
  json payload;  // null for POST-as-GET
  bool ok = false;
};

Jws Decode(const std::string& body) {
  Jws out;
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return out;
  auto prot = Base64UrlDecode(j.value("protected", ""));
  auto payload = Base64UrlDecode(j.value("payload", ""));
  if (!prot.ok() || !payload.ok()) return out;
  out.header = json::parse(ToString(*prot), nullptr, false);
  if (!payload->empty()) out.payload = json::parse(ToString(*payload), nullptr, false);
  out.ok = out.header.is_object();
  return out;
}

}  // namespace

ScriptedAcmeServer::ScriptedAcmeServer(Options options) : options_(std::move(options)) {
  auto ca = ck::testing::TestCa::CreateRoot();
  if (!ca.ok()) std::abort();
  ca_ = std::make_unique<ck::testing::TestCa>(std::move(*ca));
  http_ = std::make_unique<httplib::Server>();
  http_->set_keep_alive_timeout(1);
  Routes();
  port_ = http_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) std::abort();
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  while (!http_->is_running()) std::this_thread::yield();
}

ScriptedAcmeServer::~ScriptedAcmeServer() {
  http_->stop();
  thread_.join();
}

std::string ScriptedAcmeServer::directory_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/dir";
}

void ScriptedAcmeServer::SetWindow(const std::string& cert_id, TimePoint start, TimePoint end) {
  std::lock_guard<std::mutex> l(mu_);
  windows_[cert_id] = {start, end};
}

std::vector<json> ScriptedAcmeServer::new_orders() const {
  std::lock_guard<std::mutex> l(mu_);
  return new_orders_;
}

void ScriptedAcmeServer::Routes() {
  const std::string base = "http://127.0.0.1:";
  auto url = [this](const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  };
  auto nonce = [this](httplib::Response& res) {
    res.set_header("Replay-Nonce", "nonce" + std::to_string(std::rand()));
  };
  // Every POST: a JWS whose protected "url" is the request URL (RFC 8555 §6.4).
  auto post = [this, url, nonce](const std::string& pattern, auto handler) {
    http_->Post(pattern,
                [url, nonce, handler](const httplib::Request& req, httplib::Response& res) {
                  nonce(res);
                  Jws jws = Decode(req.body);
                  if (!jws.ok || jws.header.value("url", "") != url(req.path) ||
                      jws.header.value("nonce", "").empty()) {
                    Problem(res, 400, "malformed", "bad JWS or url/nonce header");
                    return;
                  }
                  handler(req, res, jws);
                });
  };

  http_->Get("/dir", [this, url](const httplib::Request&, httplib::Response& res) {
    json d = {{"newNonce", url("/nonce")},
              {"newAccount", url("/acct")},
              {"newOrder", url("/order")},
              {"revokeCert", url("/revoke")},
              {"keyChange", url("/key-change")}};
    if (options_.renewal_info) d["renewalInfo"] = url("/renewal-info");
    if (!options_.profiles.empty()) d["meta"]["profiles"] = options_.profiles;
    res.set_content(d.dump(), "application/json");
  });
  http_->Get("/nonce", [nonce](const httplib::Request&, httplib::Response& res) {
    nonce(res);
    res.status = 204;
  });
  post("/acct", [url](const httplib::Request&, httplib::Response& res, const Jws&) {
    res.status = 201;
    res.set_header("Location", url("/acct/1"));
    res.set_content(R"({"status":"valid"})", "application/json");
  });
  post("/order", [this, url](const httplib::Request&, httplib::Response& res, const Jws& jws) {
    std::lock_guard<std::mutex> l(mu_);
    new_orders_.push_back(jws.payload);
    std::string profile = jws.payload.value("profile", "");
    if (!profile.empty() && !options_.profiles.count(profile)) {
      Problem(res, 400, "invalidProfile", "no profile " + profile);
      return;
    }
    std::string replaces = jws.payload.value("replaces", "");
    if (!replaces.empty()) {
      // RFC 9773 §5: the replaced certificate must be known to the CA and not replaced yet.
      auto it = issued_.find(replaces);
      if (it == issued_.end()) {
        Problem(res, 400, "malformed", "replaces names an unknown certificate");
        return;
      }
      if (it->second.replaced) {
        Problem(res, 409, "alreadyReplaced", "certificate already replaced");
        return;
      }
      it->second.replaced = true;
    }
    int id = ++next_;
    json order = {{"status", "ready"},
                  {"identifiers", jws.payload.value("identifiers", json::array())},
                  {"authorizations", {url("/authz/" + std::to_string(id))}},
                  {"finalize", url("/order/" + std::to_string(id) + "/finalize")}};
    if (!profile.empty()) order["profile"] = profile;
    if (!replaces.empty()) order["replaces"] = replaces;
    orders_[id].json = order;
    res.status = 201;
    res.set_header("Location", url("/order/" + std::to_string(id)));
    res.set_content(order.dump(), "application/json");
  });
  post(R"(/authz/(\d+))", [](const httplib::Request&, httplib::Response& res, const Jws&) {
    res.set_content(R"({"status":"valid","identifier":{"type":"dns","value":"x"},"challenges":[]})",
                    "application/json");
  });
  post(R"(/order/(\d+)/finalize)", [this, url](const httplib::Request& req, httplib::Response& res,
                                               const Jws& jws) {
    std::lock_guard<std::mutex> l(mu_);
    int id = std::stoi(req.matches[1]);
    auto it = orders_.find(id);
    if (it == orders_.end()) return Problem(res, 404, "malformed", "no such order");
    auto der = Base64UrlDecode(jws.payload.value("csr", ""));
    if (!der.ok()) return Problem(res, 400, "badCSR", "csr is not base64url");
    auto csr = pki::Csr::FromDer(*der);
    if (!csr.ok() || !csr->VerifySignature().ok()) return Problem(res, 400, "badCSR", "bad CSR");
    ck::testing::CertSpec spec;
    for (const auto& id_json : it->second.json["identifiers"]) {
      spec.dns_names.push_back(id_json.value("value", ""));
    }
    spec.common_name = spec.dns_names.empty() ? "x" : spec.dns_names[0];
    TimePoint now = SystemClock().Now();
    bool short_lived = it->second.json.value("profile", "") == "shortlived";
    spec.not_before = now - std::chrono::hours(1);
    spec.not_after = now + (short_lived ? std::chrono::hours(24 * 6) : std::chrono::hours(24 * 90));
    auto cert = ca_->IssueForCsr(*csr, spec);
    if (!cert.ok()) return Problem(res, 500, "serverInternal", cert.status().message());
    auto cert_id = AriCertificateId(*cert);
    if (!cert_id.ok()) return Problem(res, 500, "serverInternal", "no ARI id");
    issued_[*cert_id] = Issued{*spec.not_before, *spec.not_after, false};
    it->second.cert_pem = cert->ToPem() + ca_->cert().ToPem();
    it->second.json["status"] = "valid";
    it->second.json["certificate"] = url("/cert/" + std::to_string(id));
    res.set_content(it->second.json.dump(), "application/json");
  });
  post(R"(/order/(\d+))", [this](const httplib::Request& req, httplib::Response& res, const Jws&) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = orders_.find(std::stoi(req.matches[1]));
    if (it == orders_.end()) return Problem(res, 404, "malformed", "no such order");
    res.set_content(it->second.json.dump(), "application/json");
  });
  post(R"(/cert/(\d+))", [this](const httplib::Request& req, httplib::Response& res, const Jws&) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = orders_.find(std::stoi(req.matches[1]));
    if (it == orders_.end()) return Problem(res, 404, "malformed", "no such certificate");
    res.set_content(it->second.cert_pem, "application/pem-certificate-chain");
  });
  // RFC 9773 §4.2: unauthenticated GET of <renewalInfo>/<certID>.
  http_->Get(R"(/renewal-info/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+))",
             [this](const httplib::Request& req, httplib::Response& res) {
               std::lock_guard<std::mutex> l(mu_);
               std::string id = req.matches[1];
               auto it = issued_.find(id);
               if (it == issued_.end()) return Problem(res, 404, "malformed", "unknown cert ID");
               auto w = windows_.find(id);
               TimePoint start, end;
               if (w != windows_.end()) {
                 start = w->second.first;
                 end = w->second.second;
               } else {
                 auto third = (it->second.not_after - it->second.not_before) / 3;
                 start = it->second.not_before + third;
                 end = start + third;
               }
               res.set_header("Retry-After", std::to_string(retry_after_seconds));
               json body = {{"suggestedWindow",
                             {{"start", FormatRfc3339(start)}, {"end", FormatRfc3339(end)}}},
                            {"explanationURL", "https://ca.test/ari-explained"}};
               res.set_content(body.dump(), "application/json");
             });
  (void)base;
}

}  // namespace ck::acme::testing
