// RFC 7807 problem documents as ACME uses them (RFC 8555 §6.7), parsed defensively and
// mapped to typed Status values so callers can decide on retries without string matching.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"

namespace ck::acme {

inline constexpr std::string_view kAcmeErrorPrefix = "urn:ietf:params:acme:error:";

struct Identifier {
  std::string type;  // "dns" or "ip" (RFC 8738)
  std::string value;
  bool operator==(const Identifier&) const = default;
};

struct Problem {
  std::string type;  // full URN; "about:blank" when the server gave none
  std::string title;
  std::string detail;
  int status = 0;
  std::string instance;                  // RFC 8555 §7.3.3: userActionRequired's terms page
  std::optional<Identifier> identifier;  // on subproblems (RFC 8555 §6.7.1)
  std::vector<Problem> subproblems;

  // The part after "urn:ietf:params:acme:error:" ("badNonce"), or the whole type otherwise.
  std::string ShortType() const;
  // "badNonce: detail (example.com: dns: ...)" for messages.
  std::string Describe() const;
};

// Parses a problem document; InvalidArgument for anything that is not a JSON object. Unknown
// members are ignored; wrong-typed known members are ignored too (the detail still helps).
// Nesting depth of subproblems is bounded.
Result<Problem> ParseProblem(std::string_view body);

// RFC 8555 §6.7 type -> Status code:
//   badNonce, serverInternal                        Unavailable (retryable)
//   rateLimited                                     ResourceExhausted, with retry_after
//   accountDoesNotExist                             NotFound
//   alreadyRevoked, alreadyReplaced                 AlreadyExists
//   unauthorized, caa, rejectedIdentifier           PermissionDenied
//   malformed, badCSR, badPublicKey, badRevocationReason, badSignatureAlgorithm,
//   invalidContact, unsupportedContact, unsupportedIdentifier              InvalidArgument
//   connection, dns, incorrectResponse, tls (validation), orderNotReady,
//   externalAccountRequired, userActionRequired, compound                FailedPrecondition
// Unknown types fall back on the HTTP status (5xx Unavailable, 429 ResourceExhausted, 404
// NotFound, 401/403 PermissionDenied, other 4xx InvalidArgument). The Status carries the
// problem type URN and, for userActionRequired, the terms URL in its message.
Status ProblemToStatus(const Problem& problem, int http_status,
                       std::optional<TimePoint> retry_after = std::nullopt);

// RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date. nullopt when absent/garbage.
std::optional<TimePoint> ParseRetryAfter(std::string_view value, TimePoint now);

}  // namespace ck::acme
