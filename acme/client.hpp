// The RFC 8555 protocol layer: one Client per ACME server, shared by every order in flight.
// It owns the directory cache, the nonce pool and the account identity, signs every request,
// and retries what RFC 8555 says is retryable (badNonce, §6.5) plus 5xx and network errors
// with bounded, jittered backoff. Order logic (which challenge, when to poll) lives in
// order_flow.*; this layer does one resource operation per call.
//
// Thread safety: every method may be called from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "acme/directory.hpp"
#include "acme/http_transport.hpp"
#include "acme/jose.hpp"
#include "acme/nonce_pool.hpp"
#include "acme/problem.hpp"
#include "acme/resources.hpp"
#include "common/clock.hpp"
#include "common/rng.hpp"

namespace ck::acme {

struct ClientOptions {
  std::string directory_url;
  // RFC 8555 §6.5 tells clients to retry badNonce; a server that rejects 50% of nonces
  // (Pebble's torture setting) still succeeds with this many retries almost surely.
  int max_bad_nonce_retries = 20;
  // 5xx and network failures: retried this many times with exponential backoff.
  int max_transient_retries = 4;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{5000};
  // A Retry-After on a 5xx longer than this is not waited for inside a request; the error is
  // returned (with retry_after set) for the caller's scheduler instead.
  std::chrono::seconds max_inline_retry_after{30};
  // When the server no longer knows the account (accountDoesNotExist: a test CA restarted, an
  // account purged), register the same key again with the registration details last used,
  // and retry the request once with the new account URL. on_account_changed is told.
  bool reregister_unknown_account = true;
  // Checked while waiting (backoff, polling): when it returns true the wait ends and the
  // operation fails with Aborted. The daemon wires its shutdown flag here (and calls
  // Clock::Interrupt) so a stop never waits out a Retry-After.
  std::function<bool()> should_stop;
};

struct AcmeResponse {
  int status = 0;
  std::string location;
  std::string body;
  std::vector<std::string> links;  // raw Link header values
  std::optional<TimePoint> retry_after;
};

struct NewAccountRequest {
  std::vector<std::string> contact;  // "mailto:..."
  bool terms_of_service_agreed = true;
  bool only_return_existing = false;  // RFC 8555 §7.3.1: find the account of this key
  std::string eab_kid;                // RFC 8555 §7.3.4, with eab_hmac_key
  std::string eab_hmac_key;           // base64url as handed out by the CA
};

struct NewOrderRequest {
  std::vector<Identifier> identifiers;
  std::optional<TimePoint> not_before;
  std::optional<TimePoint> not_after;
  std::string profile;   // profiles extension; must be one the directory lists
  std::string replaces;  // RFC 9773 §5: the ARI certificate ID this order replaces
};

struct DownloadedChain {
  std::string pem;                      // leaf first, then the issuers, as served
  std::vector<std::string> alternates;  // RFC 8555 §7.4.2: Link rel="alternate" URLs
};

// RFC 5280 §5.3.1 CRLReason codes accepted by revokeCert.
enum class RevocationReason : int {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
};
Result<RevocationReason> ParseRevocationReason(std::string_view name);

struct ClientStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> bad_nonce_retries{0};
  std::atomic<uint64_t> transient_retries{0};
  std::atomic<uint64_t> nonce_fetches{0};
};

class Client {
 public:
  Client(HttpTransport& transport, Clock& clock, Rng& rng, ClientOptions options);

  // Fetched once, then cached (retried on transient failures).
  Result<Directory> GetDirectory();

  // --- account (RFC 8555 §7.3) ---
  // Registers (or, with only_return_existing, finds) the account of `key`; on success the
  // client uses it for every later request.
  Result<Account> NewAccount(const JwsKey& key, const NewAccountRequest& request);
  // Uses an account registered earlier (URL from the store). `registration` is what a
  // re-registration (see ClientOptions::reregister_unknown_account) sends.
  void SetAccount(const JwsKey& key, std::string account_url, NewAccountRequest registration = {});
  // Called (from the requesting thread) when the account URL or key changed: re-registration
  // and key rollover. Set before sharing the client between threads.
  void SetAccountChangedCallback(std::function<void(const JwsKey&, const std::string&)> fn);
  bool has_account() const;
  std::string account_url() const;
  std::optional<JwsKey> account_key() const;
  Result<Account> GetAccount();
  Result<Account> UpdateContact(const std::vector<std::string>& contact);
  Result<Account> Deactivate();
  // RFC 8555 §7.3.5: rolls the account over to `new_key`; afterwards the client signs with
  // it. The caller persists the new key before calling (so a crash cannot lose both).
  Status ChangeKey(const JwsKey& new_key);

  // --- orders (RFC 8555 §7.4) ---
  Result<Order> NewOrder(const NewOrderRequest& request);
  Result<Order> GetOrder(const std::string& url);
  Result<Authorization> GetAuthorization(const std::string& url);
  Result<Challenge> RespondToChallenge(const std::string& url);
  Result<Authorization> DeactivateAuthorization(const std::string& url);
  // Returns the order as the finalize response describes it (often "processing").
  Result<Order> Finalize(const Order& order, const Bytes& csr_der);
  Result<DownloadedChain> DownloadCertificate(const std::string& url);

  // --- revocation (RFC 8555 §7.6) ---
  // With the account key by default, or — when `certificate_key` is given — signed by the
  // certificate's own key with a "jwk" header (no account needed).
  Status Revoke(const Bytes& certificate_der, std::optional<RevocationReason> reason,
                const JwsKey* certificate_key = nullptr);

  // --- raw requests (also for ari.*) ---
  // POST-as-GET (RFC 8555 §6.3) signed with the account key.
  Result<AcmeResponse> PostAsGet(const std::string& url);
  // A signed POST; with `jwk_key` the request carries that key's JWK instead of the kid.
  Result<AcmeResponse> Post(const std::string& url, const std::string& payload,
                            const JwsKey* jwk_key = nullptr);
  // An unauthenticated GET with the same transient-retry policy (directory, ARI).
  Result<AcmeResponse> Get(const std::string& url);

  Clock& clock() { return clock_; }
  Rng& rng() { return rng_; }
  NoncePool& nonces() { return nonces_; }
  const ClientStats& stats() const { return stats_; }
  const ClientOptions& options() const { return options_; }
  bool stopping() const { return options_.should_stop && options_.should_stop(); }
  // Sleeps on the clock until `deadline` or a stop; Aborted when stopped.
  Status Wait(TimePoint deadline);

 private:
  struct Identity {
    JwsKey key;
    std::string url;
    NewAccountRequest registration;
  };
  Status Reregister(const Identity& stale);
  std::shared_ptr<const Identity> identity() const;
  Result<std::string> TakeNonce(const Directory& dir);
  Result<HttpResponse> DoWithTransientRetry(const HttpRequest& request);
  // transport_.Do, counted and timed in the metrics registry (acme/request_metrics.hpp).
  Result<HttpResponse> Exchange(const HttpRequest& request);
  Status SleepBackoff(int attempt, std::optional<TimePoint> retry_after);
  Status ErrorFromResponse(const HttpResponse& response);
  AcmeResponse ToAcmeResponse(HttpResponse response);

  HttpTransport& transport_;
  Clock& clock_;
  Rng& rng_;
  ClientOptions options_;
  NoncePool nonces_;
  ClientStats stats_;

  mutable std::mutex mu_;
  std::optional<Directory> directory_;
  std::shared_ptr<const Identity> identity_;
  std::function<void(const JwsKey&, const std::string&)> on_account_changed_;
  std::mutex rng_mu_;
};

}  // namespace ck::acme
