// The order flow on top of the protocol layer (RFC 8555 §7.1 "Overview" steps): new order,
// authorizations solved through Solvers, readiness polling, finalize with a CSR, polling,
// download and chain choice. Many flows may run at once on one Client (one thread each).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "acme/client.hpp"
#include "acme/solver.hpp"
#include "pki/key.hpp"

namespace ck::acme {

// Polling starts sub-second and backs off; a server's Retry-After wins when it asks for
// longer, up to max_retry_after (RFC 8555 §7.5.1 / §7.4: clients SHOULD honour Retry-After).
struct PollPolicy {
  std::chrono::milliseconds initial{150};
  std::chrono::milliseconds max_interval{5000};
  double factor = 1.6;
  std::chrono::seconds max_retry_after{120};
  std::chrono::seconds timeout{600};  // per wait (authorizations, order ready, order valid)
};

struct OrderRequest {
  std::vector<std::string> names;  // DNS names ("*.example.com" needs dns-01) and IPs
  pki::KeyType key_type = pki::KeyType::kEcdsaP256;
  std::optional<pki::PrivateKey> key;  // reuse this certificate key instead of a new one
  std::string profile;
  std::string replaces;  // RFC 9773 §5
  std::vector<std::string> challenge_preference = {"http-01", "tls-alpn-01", "dns-01"};
  // Common name of the top-most issuer wanted (lego's --preferred-chain); empty = default.
  std::string preferred_chain;
  std::string certificate_name;  // for logs only
  // Continue this order (recorded before a crash or restart) instead of creating a new one,
  // so one renewal never issues twice (duplicate-certificate rate limits). The request's `key`
  // must be the key the order was started with. An order the CA no longer has, or one that
  // went invalid, falls back to a new order.
  std::string resume_order_url;
};

struct IssuedCertificate {
  pki::PrivateKey key;
  std::string cert_pem;       // the leaf
  std::string chain_pem;      // its issuers, as served
  std::string fullchain_pem;  // leaf + issuers
  std::string order_url;
  std::string certificate_url;
  std::vector<std::string> alternate_urls;
  std::string top_issuer;  // issuer CN of the last certificate of the chosen chain
};

struct ProgressEvent {
  std::string identifier;  // "example.com"; empty for order-level events
  std::string stage;       // "order", "pending", "valid", "presented", "invalid", "finalize", ...
  std::string detail;
};
using ProgressFn = std::function<void(const ProgressEvent&)>;

class OrderFlow {
 public:
  // `solvers` maps a challenge type ("http-01") to its solver; they outlive the flow.
  OrderFlow(Client& client, std::map<std::string, Solver*> solvers, PollPolicy policy = {});

  // Runs one order to a certificate. Errors keep the Status of the cause (retryable ones stay
  // retryable: the caller's scheduler retries later); authorizations that failed name the
  // identifier and the CA's problem.
  Result<IssuedCertificate> Obtain(const OrderRequest& request, const ProgressFn& progress = {});

 private:
  Result<Order> ResumeOrCreate(const NewOrderRequest& nreq, const OrderRequest& request);
  Status SolveAuthorizations(const Order& order, const OrderRequest& request,
                             const ProgressFn& progress);
  Result<Order> WaitForOrder(const std::string& url, const std::vector<std::string>& until,
                             const ProgressFn& progress);
  Result<IssuedCertificate> Download(const Order& order, const OrderRequest& request,
                                     pki::PrivateKey key);

  Client& client_;
  std::map<std::string, Solver*> solvers_;
  PollPolicy policy_;
};

// Sleeps between polls on the client's Clock: initial, then * factor up to max_interval, or
// the server's Retry-After when that is later (bounded). DeadlineExceeded after the timeout.
class Poller {
 public:
  // `client` (optional) supplies the stop check: a stop ends the wait with Aborted.
  Poller(Clock& clock, const PollPolicy& policy, Client* client = nullptr);
  Status Wait(std::optional<TimePoint> retry_after);

 private:
  Clock& clock_;
  Client* client_;
  PollPolicy policy_;
  std::chrono::milliseconds next_;
  TimePoint deadline_;
};

}  // namespace ck::acme
