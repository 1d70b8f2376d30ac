// ACME resources as the server describes them (RFC 8555 §7.1.2-§7.1.5), parsed defensively:
// any garbage yields InvalidArgument, never a crash or an exception.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acme/problem.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"

namespace ck::acme {

struct Account {
  std::string url;     // from the Location header (the "kid")
  std::string status;  // valid | deactivated | revoked
  std::vector<std::string> contact;
  std::string orders;
};

struct Challenge {
  std::string type;  // "http-01", "dns-01", "tls-alpn-01", ...
  std::string url;
  std::string status;  // pending | processing | valid | invalid
  std::string token;
  std::optional<Problem> error;
};

struct Authorization {
  std::string url;  // not in the body: set by the caller
  Identifier identifier;
  std::string status;  // pending | valid | invalid | deactivated | expired | revoked
  std::optional<TimePoint> expires;
  std::vector<Challenge> challenges;
  bool wildcard = false;
  std::optional<TimePoint> retry_after;  // from the response that carried it
};

struct Order {
  std::string url;     // from the Location header of newOrder
  std::string status;  // pending | ready | processing | valid | invalid
  std::optional<TimePoint> expires;
  std::vector<Identifier> identifiers;
  std::vector<std::string> authorizations;
  std::string finalize;
  std::string certificate;
  std::string profile;   // profiles extension
  std::string replaces;  // RFC 9773 §5
  std::optional<Problem> error;
  std::optional<TimePoint> retry_after;  // from the response that carried it
};

Result<Account> ParseAccount(std::string_view body);
Result<Order> ParseOrder(std::string_view body);
Result<Authorization> ParseAuthorization(std::string_view body);
Result<Challenge> ParseChallenge(std::string_view body);

// {"type":"dns","value":"example.com"}; "ip" for IPv4/IPv6 literals (RFC 8738 §3).
Identifier IdentifierFor(std::string_view name);

// RFC 8288 Link header values of one response -> the URLs with rel=`rel` (e.g. "alternate",
// "up", "index"). Tolerates several links per header and quoted/unquoted rel.
std::vector<std::string> LinksWithRel(const std::vector<std::string>& link_headers,
                                      std::string_view rel);

}  // namespace ck::acme
