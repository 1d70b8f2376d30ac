#include "acme/order_flow.hpp"

#include <algorithm>

#include "acme/problem.hpp"
#include "common/log.hpp"
#include "pki/certificate.hpp"
#include "pki/csr.hpp"

namespace ck::acme {
namespace {

bool IsOneOf(const std::string& s, const std::vector<std::string>& set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

void Emit(const ProgressFn& progress, std::string identifier, std::string stage,
          std::string detail = {}) {
  if (progress) progress(ProgressEvent{std::move(identifier), std::move(stage), std::move(detail)});
}

// "CN=Pebble Root CA 4f1a,O=..." -> "Pebble Root CA 4f1a" (RFC 2253, escapes honoured).
std::string CommonNameOf(const std::string& rfc2253) {
  std::string current;
  std::vector<std::string> parts;
  for (size_t i = 0; i < rfc2253.size(); ++i) {
    char c = rfc2253[i];
    if (c == '\\' && i + 1 < rfc2253.size()) {
      current += rfc2253[++i];
    } else if (c == ',' || c == '+') {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  for (const auto& p : parts) {
    if (p.rfind("CN=", 0) == 0) return p.substr(3);
  }
  return "";
}

struct SplitChain {
  std::string leaf_pem;
  std::string issuers_pem;
  std::string top_issuer;
};

Result<SplitChain> Split(const std::string& pem) {
  ASSIGN_OR_RETURN(auto certs, pki::ParseCertificateChain(pem));
  SplitChain out;
  out.leaf_pem = certs.front().ToPem();
  for (size_t i = 1; i < certs.size(); ++i) out.issuers_pem += certs[i].ToPem();
  out.top_issuer = CommonNameOf(certs.back().Issuer());
  return out;
}

// The problems a CA answers a newOrder's unusable `replaces` with: alreadyReplaced (RFC 9773
// §5), and malformed or unauthorized from CAs that predate that error type (Boulder: a serial it
// never issued, or a certificate of another account).
bool RefusesReplaces(const Status& s) {
  const std::string& type = s.problem_type();
  for (const char* t : {"alreadyReplaced", "malformed", "unauthorized"}) {
    if (type == std::string(kAcmeErrorPrefix) + t) return true;
  }
  return false;
}

}  // namespace

std::string ChallengeContext::DnsTxtValue() const { return Dns01TxtValue(key_authorization); }

Poller::Poller(Clock& clock, const PollPolicy& policy, Client* client)
    : clock_(clock),
      client_(client),
      policy_(policy),
      next_(policy.initial),
      deadline_(clock.Now() + policy.timeout) {}

Status Poller::Wait(std::optional<TimePoint> retry_after) {
  TimePoint now = clock_.Now();
  if (now >= deadline_) {
    return DeadlineExceededError("gave up polling after " +
                                 std::to_string(policy_.timeout.count()) + "s");
  }
  TimePoint until = now + next_;
  if (retry_after && *retry_after > until) {
    // Honour the server, within a bound (a broken Retry-After must not park us for days).
    until = std::min(*retry_after, now + policy_.max_retry_after);
  }
  until = std::min(until, deadline_);
  next_ = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(next_ * policy_.factor),
                   policy_.max_interval);
  if (client_ != nullptr) return client_->Wait(until);
  clock_.SleepUntil(until, [] { return false; });
  return OkStatus();
}

OrderFlow::OrderFlow(Client& client, std::map<std::string, Solver*> solvers, PollPolicy policy)
    : client_(client), solvers_(std::move(solvers)), policy_(policy) {}

Status OrderFlow::SolveAuthorizations(const Order& order, const OrderRequest& request,
                                      const ProgressFn& progress) {
  struct Pending {
    std::string authz_url;
    Solver* solver = nullptr;
    ChallengeContext ctx;
    bool done = false;
    bool respond = true;
    bool attempted = false;  // Present was called (CleanUp is owed even if it failed)
  };
  std::vector<Pending> pending;
  // CleanUp always runs, whatever happens below (Solver contract).
  struct CleanupGuard {
    std::vector<Pending>* list;
    const std::string* name;
    ~CleanupGuard() {
      for (auto& p : *list) {
        // Only what Present was tried for: a shared solver's reference counts must not drop
        // for challenges this order never presented.
        if (!p.attempted) continue;
        Status s = p.solver->CleanUp(p.ctx);
        if (!s.ok())
          log::Failure(*name, s, "challenge clean-up failed",
                       {{"identifier", p.ctx.identifier.value}});
      }
    }
  } guard{&pending, &request.certificate_name};

  auto key = client_.account_key();
  if (!key) return FailedPreconditionError("no ACME account: register first");

  for (const std::string& url : order.authorizations) {
    ASSIGN_OR_RETURN(Authorization authz, client_.GetAuthorization(url));
    const std::string& name = authz.identifier.value;
    if (authz.status == "valid") {
      Emit(progress, name, "valid", "authorization already valid");
      continue;
    }
    if (authz.status != "pending") {
      return FailedPreconditionError("authorization for " + name + " is " + authz.status);
    }
    const Challenge* chosen = nullptr;
    Solver* solver = nullptr;
    for (const std::string& type : request.challenge_preference) {
      auto s = solvers_.find(type);
      if (s == solvers_.end() || s->second == nullptr) continue;
      for (const Challenge& c : authz.challenges) {
        if (c.type == type) {
          chosen = &c;
          solver = s->second;
          break;
        }
      }
      if (chosen) break;
    }
    if (!chosen) {
      std::string offered;
      for (const Challenge& c : authz.challenges) offered += (offered.empty() ? "" : ", ") + c.type;
      return FailedPreconditionError("no configured solver for " + name +
                                     (authz.wildcard ? " (wildcard: needs dns-01)" : "") +
                                     "; the CA offers " + offered);
    }
    Pending p;
    p.authz_url = url;
    p.solver = solver;
    p.ctx.identifier = authz.identifier;
    p.ctx.wildcard = authz.wildcard;
    p.ctx.type = chosen->type;
    p.ctx.url = chosen->url;
    p.ctx.token = chosen->token;
    p.ctx.key_authorization = KeyAuthorization(chosen->token, key->thumbprint());
    // A challenge already processing (another order of ours triggered it) is only polled.
    p.respond = chosen->status == "pending";
    pending.push_back(std::move(p));
    Emit(progress, name, "pending", chosen->type);
  }

  for (auto& p : pending) {
    p.attempted = true;
    Status s = p.solver->Present(p.ctx);
    if (!s.ok())
      return s.WithContext(p.ctx.identifier.value + ": " + p.ctx.type + " present failed");
    Emit(progress, p.ctx.identifier.value, "presented", p.ctx.type);
  }
  for (auto& p : pending) {
    Status s = p.solver->Wait(p.ctx);
    if (!s.ok()) return s.WithContext(p.ctx.identifier.value + ": waiting for " + p.ctx.type);
  }
  for (auto& p : pending) {
    if (!p.respond) continue;
    // RFC 8555 §7.5.1: tell the CA to validate.
    auto ch = client_.RespondToChallenge(p.ctx.url);
    if (!ch.ok()) return ch.status().WithContext(p.ctx.identifier.value);
    Emit(progress, p.ctx.identifier.value, "validating", p.ctx.type);
  }

  Poller poller(client_.clock(), policy_, &client_);
  for (;;) {
    std::optional<TimePoint> retry_after;
    bool all_done = true;
    for (auto& p : pending) {
      if (p.done) continue;
      ASSIGN_OR_RETURN(Authorization authz, client_.GetAuthorization(p.authz_url));
      const std::string& name = p.ctx.identifier.value;
      if (authz.status == "valid") {
        p.done = true;
        Emit(progress, name, "valid", p.ctx.type);
        continue;
      }
      if (authz.status == "pending") {
        all_done = false;
        if (authz.retry_after && (!retry_after || *authz.retry_after > *retry_after)) {
          retry_after = authz.retry_after;
        }
        continue;
      }
      // invalid, deactivated, expired, revoked: report the challenge's problem.
      const Problem* problem = nullptr;
      for (const Challenge& c : authz.challenges) {
        if (c.url == p.ctx.url && c.error) problem = &*c.error;
      }
      for (const Challenge& c : authz.challenges) {
        if (!problem && c.error) problem = &*c.error;
      }
      Emit(progress, name, "invalid", problem ? problem->Describe() : authz.status);
      std::string what = name + ": " + p.ctx.type + " validation failed";
      if (problem) return ProblemToStatus(*problem, 0).WithContext(what);
      return FailedPreconditionError(what + " (authorization " + authz.status + ")");
    }
    if (all_done) return OkStatus();
    RETURN_IF_ERROR(poller.Wait(retry_after));
  }
}

Result<Order> OrderFlow::WaitForOrder(const std::string& url, const std::vector<std::string>& until,
                                      const ProgressFn& progress) {
  (void)progress;
  Poller poller(client_.clock(), policy_, &client_);
  for (;;) {
    ASSIGN_OR_RETURN(Order order, client_.GetOrder(url));
    if (IsOneOf(order.status, until)) return order;
    if (order.status == "invalid") {
      if (order.error)
        return ProblemToStatus(*order.error, 0).WithContext("order " + url + " is invalid");
      return FailedPreconditionError("order " + url + " is invalid");
    }
    RETURN_IF_ERROR(poller.Wait(order.retry_after));
  }
}

Result<IssuedCertificate> OrderFlow::Download(const Order& order, const OrderRequest& request,
                                              pki::PrivateKey key) {
  if (order.certificate.empty()) return InvalidArgumentError("valid order has no certificate URL");
  ASSIGN_OR_RETURN(DownloadedChain chain, client_.DownloadCertificate(order.certificate));
  ASSIGN_OR_RETURN(SplitChain split, Split(chain.pem));
  std::string chosen_url = order.certificate;
  if (!request.preferred_chain.empty() && split.top_issuer != request.preferred_chain) {
    // RFC 8555 §7.4.2: alternates are offered through Link rel="alternate".
    for (const std::string& alt : chain.alternates) {
      auto other = client_.DownloadCertificate(alt);
      if (!other.ok()) continue;
      auto other_split = Split(other->pem);
      if (!other_split.ok()) continue;
      if (other_split->top_issuer == request.preferred_chain) {
        split = std::move(*other_split);
        chosen_url = alt;
        break;
      }
    }
  }
  ASSIGN_OR_RETURN(pki::Certificate leaf, pki::Certificate::FromPem(split.leaf_pem));
  if (!pki::KeyMatches(leaf, key)) {
    return DataLossError("the issued certificate does not match the certificate key");
  }
  IssuedCertificate out{
      std::move(key), split.leaf_pem, split.issuers_pem, split.leaf_pem + split.issuers_pem,
      order.url,      chosen_url,     chain.alternates,  split.top_issuer};
  return out;
}

Result<Order> OrderFlow::ResumeOrCreate(const NewOrderRequest& nreq, const OrderRequest& request) {
  if (!request.resume_order_url.empty()) {
    auto existing = client_.GetOrder(request.resume_order_url);
    if (existing.ok() && existing->status != "invalid") {
      log::Info("resuming ACME order", {{"cert", request.certificate_name},
                                        {"order", existing->url},
                                        {"status", existing->status}});
      return existing;
    }
    if (!existing.ok() && existing.status().code() == StatusCode::kAborted) {
      return existing.status();
    }
    log::Warn("cannot resume ACME order, starting a new one",
              {{"cert", request.certificate_name},
               {"order", request.resume_order_url},
               {"reason", existing.ok() ? "order is invalid" : existing.status().message()}});
  }
  auto created = client_.NewOrder(nreq);
  if (!created.ok() && !nreq.replaces.empty() && RefusesReplaces(created.status())) {
    // RFC 9773 §5: a CA may refuse `replaces` (already replaced, issued to another account or
    // by another CA, unknown to it). The replacement hint is an optimisation; the certificate
    // is what matters, so the order goes in again without it.
    log::Warn("the CA refused the order's 'replaces' (RFC 9773); ordering without it",
              {{"cert", request.certificate_name},
               {"replaces", nreq.replaces},
               {"reason", created.status().message()}});
    NewOrderRequest plain = nreq;
    plain.replaces.clear();
    return client_.NewOrder(plain);
  }
  return created;
}

Result<IssuedCertificate> OrderFlow::Obtain(const OrderRequest& request,
                                            const ProgressFn& progress) {
  if (request.names.empty()) return InvalidArgumentError("no names to order a certificate for");
  NewOrderRequest nreq;
  pki::CsrRequest csr_req;
  for (const std::string& name : request.names) {
    Identifier id = IdentifierFor(name);
    nreq.identifiers.push_back(id);
    if (id.type == "ip") {
      csr_req.ip_addresses.push_back(name);
    } else {
      csr_req.dns_names.push_back(name);
    }
  }
  nreq.profile = request.profile;
  nreq.replaces = request.replaces;

  // The key and CSR first: a bad name fails here, before the CA is asked for anything.
  Result<pki::PrivateKey> key = request.key ? Result<pki::PrivateKey>(*request.key)
                                            : pki::PrivateKey::Generate(request.key_type);
  if (!key.ok()) return key.status();
  if (!csr_req.dns_names.empty() && csr_req.dns_names.front().size() <= 64) {
    csr_req.common_name = csr_req.dns_names.front();
  }
  ASSIGN_OR_RETURN(pki::Csr csr, pki::BuildCsr(csr_req, *key));

  ASSIGN_OR_RETURN(Order order, ResumeOrCreate(nreq, request));
  Emit(progress, "", "order", order.url);
  log::Info("ACME order created", {{"cert", request.certificate_name}, {"order", order.url}});
  if (order.status == "pending") {
    RETURN_IF_ERROR(SolveAuthorizations(order, request, progress));
    ASSIGN_OR_RETURN(order, WaitForOrder(order.url, {"ready", "processing", "valid"}, progress));
  } else if (order.status == "invalid") {
    ASSIGN_OR_RETURN(order, WaitForOrder(order.url, {"ready", "processing", "valid"}, progress));
  }
  if (order.status == "ready") {
    Emit(progress, "", "finalize", order.finalize);
    auto finalized = client_.Finalize(order, csr.ToDer());
    if (!finalized.ok()) {
      // A retried finalize whose first attempt did reach the CA answers orderNotReady; the
      // order itself then tells whether it is processing.
      if (finalized.status().problem_type() != std::string(kAcmeErrorPrefix) + "orderNotReady") {
        return finalized.status();
      }
      ASSIGN_OR_RETURN(order, client_.GetOrder(order.url));
      if (order.status == "ready") {
        // Still ready: our finalize never took effect; one more try, then give up.
        ASSIGN_OR_RETURN(order, client_.Finalize(order, csr.ToDer()));
      }
    } else {
      order = std::move(*finalized);
    }
  }
  if (order.status != "valid") {
    ASSIGN_OR_RETURN(order, WaitForOrder(order.url, {"valid"}, progress));
  }
  ASSIGN_OR_RETURN(IssuedCertificate issued, Download(order, request, std::move(*key)));
  Emit(progress, "", "issued", issued.certificate_url);
  return issued;
}

}  // namespace ck::acme
