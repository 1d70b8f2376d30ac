// The Solver contract (after acmez's solver.go): the order flow calls Present before it tells
// the CA to validate, Wait (optional) until the CA can see the response, and CleanUp always —
// also when Present or validation failed. Solvers must accept concurrent calls for different
// challenges (many orders in flight share one solver).
#pragma once

#include <string>

#include "acme/problem.hpp"
#include "common/status.hpp"

namespace ck::acme {

struct ChallengeContext {
  Identifier identifier;  // the authorization's identifier (no "*." for wildcards)
  bool wildcard = false;
  std::string type;  // "http-01", "tls-alpn-01", "dns-01"
  std::string url;
  std::string token;
  std::string key_authorization;  // RFC 8555 §8.1

  // RFC 8555 §8.4: "_acme-challenge.<domain>" and base64url(SHA-256(key authorization)).
  std::string DnsRecordName() const { return "_acme-challenge." + identifier.value; }
  std::string DnsTxtValue() const;
};

class Solver {
 public:
  virtual ~Solver() = default;
  // Makes the challenge response available (serve the token, publish the TXT record, ...).
  virtual Status Present(const ChallengeContext& challenge) = 0;
  // Blocks until the response is visible to the CA (DNS propagation). Default: at once.
  virtual Status Wait(const ChallengeContext& challenge) {
    (void)challenge;
    return OkStatus();
  }
  // Removes what Present made. Called even when Present failed; must tolerate that.
  virtual Status CleanUp(const ChallengeContext& challenge) = 0;
};

}  // namespace ck::acme
