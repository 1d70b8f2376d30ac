#include "acme/client.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "acme/request_metrics.hpp"
#include "common/log.hpp"

namespace ck::acme {

using nlohmann::json;

namespace {

constexpr char kJoseJson[] = "application/jose+json";

bool IsBadNonce(const Status& s) {
  return s.problem_type() == std::string(kAcmeErrorPrefix) + "badNonce";
}

}  // namespace

Result<RevocationReason> ParseRevocationReason(std::string_view name) {
  if (name == "unspecified" || name == "0") return RevocationReason::kUnspecified;
  if (name == "keyCompromise" || name == "key-compromise" || name == "1") {
    return RevocationReason::kKeyCompromise;
  }
  if (name == "affiliationChanged" || name == "affiliation-changed" || name == "3") {
    return RevocationReason::kAffiliationChanged;
  }
  if (name == "superseded" || name == "4") return RevocationReason::kSuperseded;
  if (name == "cessationOfOperation" || name == "cessation-of-operation" || name == "5") {
    return RevocationReason::kCessationOfOperation;
  }
  return InvalidArgumentError(
      "unknown revocation reason '" + std::string(name) +
      "' (unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation)");
}

Client::Client(HttpTransport& transport, Clock& clock, Rng& rng, ClientOptions options)
    : transport_(transport), clock_(clock), rng_(rng), options_(std::move(options)) {}

std::shared_ptr<const Client::Identity> Client::identity() const {
  std::lock_guard<std::mutex> lock(mu_);
  return identity_;
}

void Client::SetAccount(const JwsKey& key, std::string account_url,
                        NewAccountRequest registration) {
  registration.only_return_existing = false;
  auto id = std::make_shared<const Identity>(
      Identity{key, std::move(account_url), std::move(registration)});
  std::lock_guard<std::mutex> lock(mu_);
  identity_ = std::move(id);
}

void Client::SetAccountChangedCallback(std::function<void(const JwsKey&, const std::string&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  on_account_changed_ = std::move(fn);
}

Status Client::Reregister(const Identity& stale) {
  {
    // Another thread may have re-registered already.
    auto current = identity();
    if (current && current->url != stale.url) return OkStatus();
  }
  log::Warn("ACME server does not know the account any more; registering the key again",
            {{"account", stale.url}});
  ASSIGN_OR_RETURN(Account a, NewAccount(stale.key, stale.registration));
  std::function<void(const JwsKey&, const std::string&)> cb;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cb = on_account_changed_;
  }
  if (cb) cb(stale.key, a.url);
  return OkStatus();
}

bool Client::has_account() const { return identity() != nullptr; }

std::string Client::account_url() const {
  auto id = identity();
  return id ? id->url : std::string();
}

std::optional<JwsKey> Client::account_key() const {
  auto id = identity();
  if (!id) return std::nullopt;
  return id->key;
}

Status Client::Wait(TimePoint deadline) {
  if (stopping()) return AbortedError("ACME operation cancelled");
  auto stop =
      options_.should_stop ? options_.should_stop : std::function<bool()>([] { return false; });
  clock_.SleepUntil(deadline, stop);
  if (stopping()) return AbortedError("ACME operation cancelled");
  return OkStatus();
}

Status Client::SleepBackoff(int attempt, std::optional<TimePoint> retry_after) {
  auto delay = options_.backoff_initial * (1LL << std::min(attempt, 10));
  delay = std::min<std::chrono::milliseconds>(delay, options_.backoff_max);
  double jitter;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    jitter = 0.5 + rng_.Uniform01();  // 50%..150%: concurrent orders do not retry in lockstep
  }
  TimePoint until =
      clock_.Now() + std::chrono::duration_cast<std::chrono::milliseconds>(delay * jitter);
  if (retry_after && *retry_after > until) until = *retry_after;
  return Wait(until);
}

Result<HttpResponse> Client::DoWithTransientRetry(const HttpRequest& request) {
  for (int attempt = 0;; ++attempt) {
    stats_.requests++;
    auto r = Exchange(request);
    std::optional<TimePoint> retry_after;
    Status failure;
    if (!r.ok()) {
      failure = r.status();
    } else if (r->status >= 500) {
      retry_after = ParseRetryAfter(r->Header("retry-after"), clock_.Now());
      failure = ErrorFromResponse(*r);
    } else {
      return r;
    }
    bool retryable = failure.code() == StatusCode::kUnavailable;
    bool wait_ok = !retry_after || *retry_after - clock_.Now() <= options_.max_inline_retry_after;
    if (!retryable || attempt >= options_.max_transient_retries || !wait_ok) {
      if (!r.ok()) return failure;
      return r;  // the caller turns the 5xx into a Status
    }
    stats_.transient_retries++;
    log::Debug("ACME request failed, retrying", {{"url", request.url},
                                                 {"attempt", std::to_string(attempt + 1)},
                                                 {"reason", failure.message()}});
    RETURN_IF_ERROR(SleepBackoff(attempt, retry_after));
  }
}

Result<HttpResponse> Client::Exchange(const HttpRequest& request) {
  std::optional<Directory> dir;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dir = directory_;
  }
  const auto start = std::chrono::steady_clock::now();  // a measurement, not a decision
  auto r = transport_.Do(request);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  RecordAcmeRequest(request.url,
                    AcmeEndpointOf(request.url, dir ? &*dir : nullptr, options_.directory_url),
                    request.method, r.ok() ? r->status : 0, took.count());
  return r;
}

Status Client::ErrorFromResponse(const HttpResponse& response) {
  auto retry_after = ParseRetryAfter(response.Header("retry-after"), clock_.Now());
  auto problem = ParseProblem(response.body);
  if (problem.ok()) return ProblemToStatus(*problem, response.status, retry_after);
  Problem p;
  p.type = "about:blank";
  p.detail = "HTTP " + std::to_string(response.status) + " without a problem document";
  return ProblemToStatus(p, response.status, retry_after);
}

AcmeResponse Client::ToAcmeResponse(HttpResponse response) {
  AcmeResponse out;
  out.status = response.status;
  out.location = response.Header("location");
  out.links = response.Headers("link");
  out.retry_after = ParseRetryAfter(response.Header("retry-after"), clock_.Now());
  out.body = std::move(response.body);
  return out;
}

Result<Directory> Client::GetDirectory() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (directory_) return *directory_;
  }
  HttpRequest req;
  req.url = options_.directory_url;
  ASSIGN_OR_RETURN(HttpResponse resp, DoWithTransientRetry(req));
  if (resp.status != 200) {
    return ErrorFromResponse(resp).WithContext("fetching ACME directory " + req.url);
  }
  auto dir = ParseDirectory(resp.body);
  if (!dir.ok()) return dir.status().WithContext(req.url);
  std::lock_guard<std::mutex> lock(mu_);
  directory_ = *dir;
  return *dir;
}

Result<std::string> Client::TakeNonce(const Directory& dir) {
  if (auto n = nonces_.Take()) return *n;
  // RFC 8555 §7.2: HEAD newNonce returns a fresh Replay-Nonce.
  stats_.nonce_fetches++;
  HttpRequest req;
  req.method = "HEAD";
  req.url = dir.new_nonce;
  ASSIGN_OR_RETURN(HttpResponse resp, DoWithTransientRetry(req));
  std::string nonce = resp.Header("replay-nonce");
  if (resp.status >= 400 || nonce.empty()) {
    return UnavailableError("newNonce returned HTTP " + std::to_string(resp.status) +
                            " without a Replay-Nonce");
  }
  return nonce;
}

Result<AcmeResponse> Client::Post(const std::string& url, const std::string& payload,
                                  const JwsKey* jwk_key) {
  ASSIGN_OR_RETURN(Directory dir, GetDirectory());
  int bad_nonces = 0;
  int transient = 0;
  bool reregistered = false;
  for (;;) {
    auto id = identity();
    const JwsKey* key = jwk_key;
    std::string kid;
    if (key == nullptr) {
      if (!id) return FailedPreconditionError("no ACME account: register first");
      key = &id->key;
      kid = id->url;
    }
    ASSIGN_OR_RETURN(std::string nonce, TakeNonce(dir));
    ASSIGN_OR_RETURN(std::string body, SignJws(*key, payload, url, nonce, kid));
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.headers = {{"Content-Type", kJoseJson}};
    req.body = std::move(body);
    stats_.requests++;
    auto resp = Exchange(req);
    if (!resp.ok()) {
      // A network failure may or may not have consumed the nonce; every retry signs again
      // with a fresh one, so a retried POST is never rejected as a replay.
      if (resp.status().code() == StatusCode::kUnavailable &&
          transient < options_.max_transient_retries) {
        stats_.transient_retries++;
        RETURN_IF_ERROR(SleepBackoff(transient++, std::nullopt));
        continue;
      }
      return resp.status().WithContext("POST " + url);
    }
    if (std::string n = resp->Header("replay-nonce"); !n.empty()) nonces_.Put(n);
    if (resp->status < 400) return ToAcmeResponse(std::move(*resp));
    Status err = ErrorFromResponse(*resp);
    // RFC 8555 §6.5: "When a server rejects a request because its nonce value was
    // unacceptable ... clients SHOULD retry the request using the new nonce" -- which the
    // error response's Replay-Nonce just put into the pool.
    if (IsBadNonce(err) && bad_nonces < options_.max_bad_nonce_retries) {
      ++bad_nonces;
      stats_.bad_nonce_retries++;
      continue;
    }
    if (jwk_key == nullptr && id && !reregistered && options_.reregister_unknown_account &&
        err.problem_type() == std::string(kAcmeErrorPrefix) + "accountDoesNotExist") {
      reregistered = true;
      RETURN_IF_ERROR(Reregister(*id));
      continue;
    }
    // 5xx (serverInternal or a proxy's error page): bounded backoff, honouring a short
    // Retry-After; a long one goes back to the caller's scheduler with retry_after set.
    if (resp->status >= 500 && err.code() == StatusCode::kUnavailable &&
        transient < options_.max_transient_retries &&
        (!err.retry_after() ||
         *err.retry_after() - clock_.Now() <= options_.max_inline_retry_after)) {
      stats_.transient_retries++;
      RETURN_IF_ERROR(SleepBackoff(transient++, err.retry_after()));
      continue;
    }
    return err.WithContext("POST " + url);
  }
}

Result<AcmeResponse> Client::PostAsGet(const std::string& url) { return Post(url, ""); }

Result<AcmeResponse> Client::Get(const std::string& url) {
  HttpRequest req;
  req.url = url;
  ASSIGN_OR_RETURN(HttpResponse resp, DoWithTransientRetry(req));
  if (resp.status >= 400) return ErrorFromResponse(resp).WithContext("GET " + url);
  return ToAcmeResponse(std::move(resp));
}

Result<Account> Client::NewAccount(const JwsKey& key, const NewAccountRequest& request) {
  ASSIGN_OR_RETURN(Directory dir, GetDirectory());
  json payload = json::object();
  if (request.only_return_existing) {
    payload["onlyReturnExisting"] = true;
  } else {
    payload["termsOfServiceAgreed"] = request.terms_of_service_agreed;
    if (!request.contact.empty()) payload["contact"] = request.contact;
    if (!request.eab_kid.empty()) {
      ASSIGN_OR_RETURN(
          payload["externalAccountBinding"],
          ExternalAccountBinding(key, request.eab_kid, request.eab_hmac_key, dir.new_account));
    } else if (dir.meta.external_account_required) {
      return FailedPreconditionError(
          "this ACME server requires external account binding: pass --eab-kid and "
          "--eab-hmac");
    }
  }
  ASSIGN_OR_RETURN(AcmeResponse resp, Post(dir.new_account, payload.dump(), &key));
  auto account = ParseAccount(resp.body);
  if (!account.ok()) return account.status().WithContext("newAccount response");
  if (resp.location.empty()) return InvalidArgumentError("newAccount response has no Location");
  account->url = resp.location;
  NewAccountRequest registration = request;
  registration.only_return_existing = false;
  SetAccount(key, resp.location, std::move(registration));
  return account;
}

Result<Account> Client::GetAccount() {
  std::string url = account_url();
  if (url.empty()) return FailedPreconditionError("no ACME account: register first");
  ASSIGN_OR_RETURN(AcmeResponse resp, PostAsGet(url));
  ASSIGN_OR_RETURN(Account a, ParseAccount(resp.body));
  a.url = url;
  return a;
}

Result<Account> Client::UpdateContact(const std::vector<std::string>& contact) {
  std::string url = account_url();
  if (url.empty()) return FailedPreconditionError("no ACME account: register first");
  json payload = json::object();
  payload["contact"] = contact;
  ASSIGN_OR_RETURN(AcmeResponse resp, Post(url, payload.dump()));
  ASSIGN_OR_RETURN(Account a, ParseAccount(resp.body));
  a.url = url;
  return a;
}

Result<Account> Client::Deactivate() {
  std::string url = account_url();
  if (url.empty()) return FailedPreconditionError("no ACME account: register first");
  // RFC 8555 §7.3.6.
  ASSIGN_OR_RETURN(AcmeResponse resp, Post(url, R"({"status":"deactivated"})"));
  ASSIGN_OR_RETURN(Account a, ParseAccount(resp.body));
  a.url = url;
  return a;
}

Status Client::ChangeKey(const JwsKey& new_key) {
  ASSIGN_OR_RETURN(Directory dir, GetDirectory());
  if (dir.key_change.empty()) return UnimplementedError("the ACME server has no keyChange");
  auto id = identity();
  if (!id) return FailedPreconditionError("no ACME account: register first");
  // RFC 8555 §7.3.5: the inner JWS is signed by the new key, carries its "jwk" and the
  // keyChange URL but no nonce; its payload names the account and the old key.
  json inner_header = json::object();
  inner_header["alg"] = new_key.alg();
  inner_header["jwk"] = new_key.jwk();
  inner_header["url"] = dir.key_change;
  json inner_payload = json::object();
  inner_payload["account"] = id->url;
  inner_payload["oldKey"] = id->key.jwk();
  ASSIGN_OR_RETURN(json inner, SignJwsWithHeader(new_key, inner_header, inner_payload.dump()));
  RETURN_IF_ERROR(Post(dir.key_change, inner.dump()));
  SetAccount(new_key, id->url, id->registration);
  std::function<void(const JwsKey&, const std::string&)> cb;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cb = on_account_changed_;
  }
  if (cb) cb(new_key, id->url);
  return OkStatus();
}

Result<Order> Client::NewOrder(const NewOrderRequest& request) {
  ASSIGN_OR_RETURN(Directory dir, GetDirectory());
  if (request.identifiers.empty()) return InvalidArgumentError("an order needs identifiers");
  json ids = json::array();
  for (const auto& id : request.identifiers) {
    ids.push_back({{"type", id.type}, {"value", id.value}});
  }
  json payload = json::object();
  payload["identifiers"] = std::move(ids);
  if (request.not_before) payload["notBefore"] = FormatRfc3339(*request.not_before);
  if (request.not_after) payload["notAfter"] = FormatRfc3339(*request.not_after);
  if (!request.profile.empty()) {
    if (!dir.meta.profiles.empty() && !dir.meta.profiles.count(request.profile)) {
      return InvalidArgumentError("the ACME server offers no profile '" + request.profile + "'");
    }
    payload["profile"] = request.profile;
  }
  if (!request.replaces.empty()) payload["replaces"] = request.replaces;
  ASSIGN_OR_RETURN(AcmeResponse resp, Post(dir.new_order, payload.dump()));
  auto order = ParseOrder(resp.body);
  if (!order.ok()) return order.status().WithContext("newOrder response");
  if (resp.location.empty()) return InvalidArgumentError("newOrder response has no Location");
  order->url = resp.location;
  return order;
}

Result<Order> Client::GetOrder(const std::string& url) {
  ASSIGN_OR_RETURN(AcmeResponse resp, PostAsGet(url));
  auto order = ParseOrder(resp.body);
  if (!order.ok()) return order.status().WithContext(url);
  order->url = url;
  order->retry_after = resp.retry_after;
  return order;
}

Result<Authorization> Client::GetAuthorization(const std::string& url) {
  ASSIGN_OR_RETURN(AcmeResponse resp, PostAsGet(url));
  auto authz = ParseAuthorization(resp.body);
  if (!authz.ok()) return authz.status().WithContext(url);
  authz->url = url;
  authz->retry_after = resp.retry_after;
  return authz;
}

Result<Challenge> Client::RespondToChallenge(const std::string& url) {
  // RFC 8555 §7.5.1: the client signals readiness by POSTing an empty object.
  ASSIGN_OR_RETURN(AcmeResponse resp, Post(url, "{}"));
  return ParseChallenge(resp.body);
}

Result<Authorization> Client::DeactivateAuthorization(const std::string& url) {
  // RFC 8555 §7.5.2.
  ASSIGN_OR_RETURN(AcmeResponse resp, Post(url, R"({"status":"deactivated"})"));
  ASSIGN_OR_RETURN(Authorization a, ParseAuthorization(resp.body));
  a.url = url;
  return a;
}

Result<Order> Client::Finalize(const Order& order, const Bytes& csr_der) {
  json payload = json::object();
  payload["csr"] = Base64UrlEncode(csr_der);
  ASSIGN_OR_RETURN(AcmeResponse resp, Post(order.finalize, payload.dump()));
  auto updated = ParseOrder(resp.body);
  if (!updated.ok()) return updated.status().WithContext("finalize response");
  updated->url = order.url;
  updated->retry_after = resp.retry_after;
  return updated;
}

Result<DownloadedChain> Client::DownloadCertificate(const std::string& url) {
  ASSIGN_OR_RETURN(AcmeResponse resp, PostAsGet(url));
  if (resp.body.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return InvalidArgumentError("certificate download " + url + " returned no PEM certificate");
  }
  DownloadedChain chain;
  chain.pem = std::move(resp.body);
  chain.alternates = LinksWithRel(resp.links, "alternate");
  return chain;
}

Status Client::Revoke(const Bytes& certificate_der, std::optional<RevocationReason> reason,
                      const JwsKey* certificate_key) {
  ASSIGN_OR_RETURN(Directory dir, GetDirectory());
  if (dir.revoke_cert.empty()) return UnimplementedError("the ACME server has no revokeCert");
  json payload = json::object();
  payload["certificate"] = Base64UrlEncode(certificate_der);
  if (reason) payload["reason"] = static_cast<int>(*reason);
  return Post(dir.revoke_cert, payload.dump(), certificate_key).status();
}

}  // namespace ck::acme
