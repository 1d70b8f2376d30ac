// subjectAltName handling shared by certificates and CSRs: decoding every GeneralName type
// (RFC 5280 §4.2.1.6) into printable values, and building validated SAN sets for CSRs.
#pragma once

#include <openssl/x509v3.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "pki/handles.hpp"

namespace ck::pki {

enum class SanType { kDns, kIp, kUri, kEmail, kOtherName, kDirName, kRegisteredId, kOther };

// "DNS", "IP", "URI", "email", "othername", "dirname", "RID", "other" (as openssl prints them).
std::string_view SanTypeName(SanType type);

struct SubjectAltName {
  SanType type = SanType::kDns;
  // DNS/URI/email: the string; IP: canonical text ("192.0.2.1", "2001:db8::1");
  // othername: "<oid>;<value>"; dirname: RFC 2253 name.
  std::string value;

  bool operator==(const SubjectAltName&) const = default;
};

// "DNS:example.com", "IP:2001:db8::1".
std::string FormatSan(const SubjectAltName& san);

std::vector<SubjectAltName> DecodeGeneralNames(const GENERAL_NAMES* names);

// The requested names for a CSR. Each list is validated; duplicates (DNS compared
// case-insensitively) are dropped so a config listing a name twice still yields a valid CSR.
struct SanRequest {
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> uris;
  std::vector<std::string> emails;
};
Result<GeneralNamesPtr> BuildGeneralNames(const SanRequest& request);

// Individual validators (InvalidArgument naming the offending value and the rule).
// DNS: ASCII (A-labels for IDNs), LDH labels of 1..63, total <= 253, "*." only as the whole
// leftmost label (RFC 6125 §6.4.3).
Status ValidateDnsName(std::string_view name);
Status ValidateIpAddress(std::string_view ip);
// True for a textual IPv4 or IPv6 address (no brackets, no zone, no embedded NUL).
bool IsIpLiteral(std::string_view s);
// An absolute URI: scheme ":" rest, no whitespace or control characters (RFC 3986 §3).
Status ValidateUri(std::string_view uri);
// local@domain with a valid domain (RFC 5280 §4.2.1.6 rfc822Name).
Status ValidateEmail(std::string_view email);

}  // namespace ck::pki
