#include "ca/name_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace ck::ca {
namespace {

// Upper bounds for names in certificates we issue (RFC 5321 §4.5.3.1 puts a mailbox at 64+1+255;
// a SPIFFE ID is at most 2048 bytes), which also bound the pattern matcher's work.
constexpr size_t kMaxUriLength = 2048;
constexpr size_t kMaxEmailLength = 320;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> Labels(std::string_view name) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t dot = name.find('.', start);
    out.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

// Glob over `s`: "**" matches any run of characters, "*" any run without '/', anything else
// itself. Dynamic programming, so a hostile pattern or name cannot make it exponential.
bool Glob(std::string_view p, std::string_view s) {
  const size_t m = p.size();
  const size_t n = s.size();
  // row_i[j]: does p[i..] match s[j..]? Row i needs rows i+1 and i+2 only, so three rows of
  // n+1 cells suffice: memory stays linear in the name's length.
  std::vector<uint8_t> next2(n + 1, 0);  // row i+2
  std::vector<uint8_t> next1(n + 1, 0);  // row i+1
  std::vector<uint8_t> cur(n + 1, 0);    // row i
  next1[n] = 1;                          // row m: the empty pattern matches the empty string
  for (size_t i = m; i-- > 0;) {
    const bool dbl = p[i] == '*' && i + 1 < m && p[i + 1] == '*';
    for (size_t j = n + 1; j-- > 0;) {
      const bool more = j < n;
      bool v = false;
      if (dbl) {
        v = next2[j] != 0 || (more && cur[j + 1] != 0);
      } else if (p[i] == '*') {
        v = next1[j] != 0 || (more && s[j] != '/' && cur[j + 1] != 0);
      } else {
        v = more && p[i] == s[j] && next1[j + 1] != 0;
      }
      cur[j] = v ? 1 : 0;
    }
    next2.swap(next1);
    next1.swap(cur);
  }
  return next1[0] != 0;
}

bool ParseAddress(std::string_view text, int& family, std::array<uint8_t, 16>& out) {
  std::string s(text);
  if (s.find('\0') != std::string::npos) return false;
  out.fill(0);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    family = 6;
    return true;
  }
  return false;
}

Status Denied(std::string_view what, std::string_view name, std::string_view profile,
              std::string_view why) {
  return PermissionDeniedError(std::string(what) + " '" + std::string(name) + "' " +
                               std::string(why) + " by profile '" + std::string(profile) + "'");
}

std::string JoinPatterns(const std::vector<std::string>& patterns) {
  std::string out;
  for (const auto& p : patterns) out += (out.empty() ? "" : ", ") + p;
  return out;
}

template <typename Match>
Status CheckLists(std::string_view what, std::string_view list_suffix, std::string_view name,
                  const Profile& profile, const std::vector<std::string>& allow,
                  const std::vector<std::string>& deny, Match match) {
  for (const auto& pattern : deny) {
    if (match(pattern, name)) {
      return Denied(what, name, profile.name,
                    "is denied (deny_" + std::string(list_suffix) + " '" + pattern + "')");
    }
  }
  if (allow.empty()) return OkStatus();
  for (const auto& pattern : allow) {
    if (match(pattern, name)) return OkStatus();
  }
  return Denied(
      what, name, profile.name,
      "is not allowed (allow_" + std::string(list_suffix) + ": " + JoinPatterns(allow) + ")");
}

bool IsSpiffeChar(char c, bool path) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') {
    return true;
  }
  return path && c >= 'A' && c <= 'Z';
}

}  // namespace

// --- IP ranges ---

bool IpRange::Contains(std::string_view ip) const {
  int fam = 0;
  std::array<uint8_t, 16> a{};
  if (!ParseAddress(ip, fam, a) || fam != family) return false;
  int bits = prefix;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (addr[i] & mask)) return false;
  }
  return true;
}

std::vector<uint8_t> IpRange::ConstraintBytes() const {
  const size_t len = family == 4 ? 4 : 16;
  std::vector<uint8_t> out(addr.begin(), addr.begin() + len);
  int bits = prefix;
  for (size_t i = 0; i < len; ++i, bits -= 8) {
    out.push_back(bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits)));
  }
  return out;
}

Result<IpRange> ParseIpRange(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("IP range '" + std::string(text) + "': " + std::string(why) +
                                " (expected an address or CIDR, e.g. 10.0.0.0/8 or fd00::/8)");
  };
  IpRange r;
  const size_t slash = text.find('/');
  if (!ParseAddress(text.substr(0, slash), r.family, r.addr)) return bad("not an IP address");
  const int max = r.family == 4 ? 32 : 128;
  r.prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    int prefix = -1;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 ||
        prefix > max) {
      return bad("prefix length must be 0.." + std::to_string(max));
    }
    r.prefix = prefix;
  }
  int bits = r.prefix;
  for (size_t i = 0; i < static_cast<size_t>(max / 8); ++i, bits -= 8) {
    const uint8_t mask = bits >= 8   ? 0xff
                         : bits <= 0 ? 0
                                     : static_cast<uint8_t>(0xff << (8 - bits));
    if ((r.addr[i] & ~mask) != 0) return bad("host bits are set below the prefix");
  }
  return r;
}

// --- matching ---

bool MatchDnsPattern(std::string_view pattern, std::string_view name) {
  const std::string p = Lower(pattern), n = Lower(name);
  if (p == "**") return !n.empty();
  const auto pl = Labels(p), nl = Labels(n);
  if (pl.front() == "**") {
    if (nl.size() < pl.size()) return false;
    return std::equal(pl.begin() + 1, pl.end(), nl.end() - static_cast<long>(pl.size() - 1));
  }
  if (pl.size() != nl.size()) return false;
  for (size_t i = 0; i < pl.size(); ++i) {
    if (i == 0 && pl[0] == "*") continue;
    if (pl[i] != nl[i]) return false;
  }
  return true;
}

bool MatchUriPattern(std::string_view pattern, std::string_view uri) { return Glob(pattern, uri); }

bool MatchEmailPattern(std::string_view pattern, std::string_view email) {
  const size_t at = email.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  const size_t pat = pattern.rfind('@');
  const std::string_view plocal = pat == std::string_view::npos ? "" : pattern.substr(0, pat);
  const std::string_view pdomain =
      pat == std::string_view::npos ? pattern : pattern.substr(pat + 1);
  if (!plocal.empty() && !Glob(plocal, local)) return false;
  return MatchDnsPattern(pdomain, domain);
}

// --- pattern validation ---

Status ValidateDnsPattern(std::string_view pattern) {
  if (pattern == "*" || pattern == "**") return OkStatus();
  std::string_view rest = pattern;
  if (rest.starts_with("**."))
    rest.remove_prefix(3);
  else if (rest.starts_with("*."))
    rest.remove_prefix(2);
  Status s = pki::ValidateDnsName(rest);
  if (!s.ok() || rest.find('*') != std::string_view::npos) {
    return InvalidArgumentError("DNS pattern '" + std::string(pattern) +
                                "': expected a DNS name whose leftmost label may be '*' (one "
                                "label) or '**' (any number of labels)");
  }
  return OkStatus();
}

Status ValidateUriPattern(std::string_view pattern) {
  std::string probe(pattern);
  std::replace(probe.begin(), probe.end(), '*', 'x');
  if (!pki::ValidateUri(probe).ok() || probe.find(':') == std::string::npos) {
    return InvalidArgumentError("URI pattern '" + std::string(pattern) +
                                "': expected an absolute URI with '*'/'**' globs, e.g. "
                                "spiffe://example.org/ns/*/sa/*");
  }
  return OkStatus();
}

Status ValidateEmailPattern(std::string_view pattern) {
  const size_t at = pattern.rfind('@');
  std::string_view domain = at == std::string_view::npos ? pattern : pattern.substr(at + 1);
  std::string_view local = at == std::string_view::npos ? "" : pattern.substr(0, at);
  bool ok = ValidateDnsPattern(domain).ok() && local.find('@') == std::string_view::npos;
  for (char c : local) ok = ok && c > 0x20 && c < 0x7f;
  if (!ok) {
    return InvalidArgumentError("email pattern '" + std::string(pattern) +
                                "': expected user@domain, @domain or domain (globs '*' in the "
                                "user part, DNS pattern rules in the domain)");
  }
  return OkStatus();
}

Status ValidateIpPattern(std::string_view pattern) { return ParseIpRange(pattern).status(); }

Status ValidateNamePolicy(const NamePolicy& p) {
  auto each = [](const std::vector<std::string>& list, auto validate) -> Status {
    for (const auto& item : list) RETURN_IF_ERROR(validate(item));
    return OkStatus();
  };
  RETURN_IF_ERROR(each(p.allow_dns, ValidateDnsPattern));
  RETURN_IF_ERROR(each(p.deny_dns, ValidateDnsPattern));
  RETURN_IF_ERROR(each(p.allow_ip, ValidateIpPattern));
  RETURN_IF_ERROR(each(p.deny_ip, ValidateIpPattern));
  RETURN_IF_ERROR(each(p.allow_uri, ValidateUriPattern));
  RETURN_IF_ERROR(each(p.deny_uri, ValidateUriPattern));
  RETURN_IF_ERROR(each(p.allow_email, ValidateEmailPattern));
  return each(p.deny_email, ValidateEmailPattern);
}

// --- SPIFFE ---

bool IsSpiffeUri(std::string_view uri) {
  return uri.size() >= 7 && Lower(uri.substr(0, 7)) == "spiffe:";
}

Status ValidateSpiffeId(std::string_view uri, std::string_view trust_domain) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("SPIFFE ID '" + std::string(uri) + "': " + std::string(why) +
                                " (expected spiffe://trust-domain/path)");
  };
  constexpr std::string_view kScheme = "spiffe://";
  if (!uri.starts_with(kScheme)) return bad("scheme must be lowercase 'spiffe://'");
  std::string_view rest = uri.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string_view td = rest.substr(0, slash);
  if (td.empty()) return bad("trust domain is empty");
  for (char c : td) {
    if (!IsSpiffeChar(c, false)) {
      return bad(
          "trust domain may only hold lowercase letters, digits, '.', '-' and '_' (no "
          "port or user info)");
    }
  }
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return bad("a workload ID needs a path");
  }
  std::string_view path = rest.substr(slash + 1);
  size_t start = 0;
  for (;;) {
    const size_t end = path.find('/', start);
    const std::string_view seg =
        path.substr(start, end == std::string_view::npos ? end : end - start);
    if (seg.empty()) return bad("path segments must not be empty");
    if (seg == "." || seg == "..") return bad("path segments must not be '.' or '..'");
    for (char c : seg) {
      if (!IsSpiffeChar(c, true)) {
        return bad(
            "path may only hold letters, digits, '.', '-', '_' and '/' (no query or "
            "fragment)");
      }
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (!trust_domain.empty() && td != trust_domain) {
    return PermissionDeniedError("SPIFFE ID '" + std::string(uri) +
                                 "' is outside the trust domain '" + std::string(trust_domain) +
                                 "'");
  }
  return OkStatus();
}

// --- the profile check ---

Status CheckNames(const Profile& profile, std::string_view trust_domain,
                  const std::vector<pki::SubjectAltName>& names) {
  if (names.empty()) {
    return InvalidArgumentError(
        "no subject alternative name requested: a certificate needs at "
        "least one DNS name, IP address, URI or email address");
  }
  const NamePolicy& p = profile.policy;
  int uris = 0, spiffe = 0;
  for (const auto& san : names) {
    const std::string_view type = pki::SanTypeName(san.type);
    if (san.type != pki::SanType::kDns && san.type != pki::SanType::kIp &&
        san.type != pki::SanType::kUri && san.type != pki::SanType::kEmail) {
      return PermissionDeniedError("SAN type " + std::string(type) + " ('" + san.value +
                                   "') is not issued by this CA (only DNS, IP, URI, email)");
    }
    if (!profile.AllowsSanType(san.type)) {
      std::string allowed;
      for (auto t : profile.san_types) {
        allowed += (allowed.empty() ? "" : ", ") + std::string(pki::SanTypeName(t));
      }
      return PermissionDeniedError("profile '" + profile.name + "' does not allow " +
                                   std::string(type) + " names ('" + san.value +
                                   "'); it allows: " + (allowed.empty() ? "none" : allowed));
    }
    switch (san.type) {
      case pki::SanType::kDns: {
        RETURN_IF_ERROR(pki::ValidateDnsName(san.value));
        if (san.value.starts_with("*.") && !profile.allow_wildcards) {
          return Denied("wildcard DNS name", san.value, profile.name, "is not allowed");
        }
        RETURN_IF_ERROR(CheckLists("DNS name", "dns", san.value, profile, p.allow_dns, p.deny_dns,
                                   MatchDnsPattern));
        break;
      }
      case pki::SanType::kIp: {
        RETURN_IF_ERROR(pki::ValidateIpAddress(san.value));
        auto in = [](const std::string& pattern, std::string_view ip) {
          auto range = ParseIpRange(pattern);
          return range.ok() && range->Contains(ip);
        };
        RETURN_IF_ERROR(
            CheckLists("IP address", "ip", san.value, profile, p.allow_ip, p.deny_ip, in));
        break;
      }
      case pki::SanType::kUri: {
        RETURN_IF_ERROR(pki::ValidateUri(san.value));
        if (san.value.size() > kMaxUriLength) {
          return InvalidArgumentError("URI SAN longer than " + std::to_string(kMaxUriLength) +
                                      " characters");
        }
        ++uris;
        if (IsSpiffeUri(san.value)) {
          ++spiffe;
          RETURN_IF_ERROR(ValidateSpiffeId(san.value, trust_domain));
        }
        RETURN_IF_ERROR(
            CheckLists("URI", "uri", san.value, profile, p.allow_uri, p.deny_uri, MatchUriPattern));
        break;
      }
      default: {
        RETURN_IF_ERROR(pki::ValidateEmail(san.value));
        if (san.value.size() > kMaxEmailLength) {
          return InvalidArgumentError("email SAN longer than " + std::to_string(kMaxEmailLength) +
                                      " characters");
        }
        RETURN_IF_ERROR(CheckLists("email address", "email", san.value, profile, p.allow_email,
                                   p.deny_email, MatchEmailPattern));
        break;
      }
    }
  }
  // SPIFFE X.509-SVID §2: exactly one URI SAN, the SPIFFE ID.
  if (spiffe > 0 && uris > 1) {
    return InvalidArgumentError("an X.509-SVID carries exactly one URI SAN: the SPIFFE ID; " +
                                std::to_string(uris) + " URIs were requested");
  }
  return OkStatus();
}

}  // namespace ck::ca
