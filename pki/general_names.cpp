#include "pki/general_names.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "common/encoding.hpp"
#include "pki/openssl_error.hpp"
#include "pki/x509_util.hpp"

namespace ck::pki {
namespace {

std::string StringValue(const ASN1_STRING* s) {
  if (s == nullptr) return "";
  return EscapeForDisplay(ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string FormatIp(const unsigned char* data, int len) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (len == 4 && inet_ntop(AF_INET, data, buf, sizeof(buf)) != nullptr) return buf;
  if (len == 16 && inet_ntop(AF_INET6, data, buf, sizeof(buf)) != nullptr) return buf;
  // 8 and 32 bytes are address/mask pairs, which only name constraints use.
  if (len == 8 || len == 32) {
    return FormatIp(data, len / 2) + "/" + FormatIp(data + len / 2, len / 2);
  }
  return "invalid:" + HexEncode(data, static_cast<size_t>(len > 0 ? len : 0), true);
}

std::string OtherNameValue(const OTHERNAME* on) {
  std::string out = ObjectName(on->type_id);
  const ASN1_TYPE* v = on->value;
  if (v == nullptr) return out;
  switch (v->type) {
    case V_ASN1_UTF8STRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_BMPSTRING:
    case V_ASN1_UNIVERSALSTRING:
    case V_ASN1_VISIBLESTRING: {
      unsigned char* utf8 = nullptr;
      int len = ASN1_STRING_to_UTF8(&utf8, v->value.asn1_string);
      OpenSslBytesPtr owner(utf8);
      if (len < 0) {
        ERR_clear_error();
        return out + ";<undecodable string>";
      }
      return out + ";" + EscapeForDisplay(utf8, static_cast<size_t>(len));
    }
    case V_ASN1_OCTET_STRING: {
      const ASN1_STRING* s = v->value.octet_string;
      return out + ";hex:" +
             HexEncode(ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s)), true);
    }
    default: return out + ";<ASN.1 type " + std::to_string(v->type) + ">";
  }
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status AddString(GENERAL_NAMES* names, int type, std::string_view value) {
  GeneralNamePtr gn(GENERAL_NAME_new());
  Asn1StringPtr str(ASN1_IA5STRING_new());
  if (!gn || !str ||
      ASN1_STRING_set(str.get(), value.data(), static_cast<int>(value.size())) != 1) {
    return OpenSslError(StatusCode::kInternal, "cannot build subjectAltName");
  }
  GENERAL_NAME_set0_value(gn.get(), type, str.release());  // gn owns the string from here
  if (sk_GENERAL_NAME_push(names, gn.get()) <= 0) {
    return OpenSslError(StatusCode::kInternal, "cannot build subjectAltName");
  }
  static_cast<void>(gn.release());  // the stack owns it
  return OkStatus();
}

Status AddIp(GENERAL_NAMES* names, const std::string& ip) {
  GeneralNamePtr gn(GENERAL_NAME_new());
  Asn1OctetStringPtr octets(a2i_IPADDRESS(ip.c_str()));
  if (!gn || !octets) return OpenSslError(StatusCode::kInvalidArgument, "bad IP '" + ip + "'");
  GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, octets.release());
  if (sk_GENERAL_NAME_push(names, gn.get()) <= 0) {
    return OpenSslError(StatusCode::kInternal, "cannot build subjectAltName");
  }
  static_cast<void>(gn.release());  // the stack owns it
  return OkStatus();
}

}  // namespace

bool IsIpLiteral(std::string_view s) {
  // inet_pton reads a C string: an embedded NUL would make "192.0.2.1\0junk" pass as an IP.
  if (s.empty() || s.size() > INET6_ADDRSTRLEN || s.find('\0') != std::string_view::npos) {
    return false;
  }
  const std::string z(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, z.c_str(), buf) == 1 || inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

std::string_view SanTypeName(SanType type) {
  switch (type) {
    case SanType::kDns: return "DNS";
    case SanType::kIp: return "IP";
    case SanType::kUri: return "URI";
    case SanType::kEmail: return "email";
    case SanType::kOtherName: return "othername";
    case SanType::kDirName: return "dirname";
    case SanType::kRegisteredId: return "RID";
    case SanType::kOther: return "other";
  }
  return "other";
}

std::string FormatSan(const SubjectAltName& san) {
  return std::string(SanTypeName(san.type)) + ":" + san.value;
}

std::vector<SubjectAltName> DecodeGeneralNames(const GENERAL_NAMES* names) {
  std::vector<SubjectAltName> out;
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    int type = 0;
    void* v = GENERAL_NAME_get0_value(gn, &type);
    if (v == nullptr) continue;
    switch (type) {
      case GEN_DNS:
        out.push_back({SanType::kDns, StringValue(static_cast<ASN1_STRING*>(v))});
        break;
      case GEN_URI:
        out.push_back({SanType::kUri, StringValue(static_cast<ASN1_STRING*>(v))});
        break;
      case GEN_EMAIL:
        out.push_back({SanType::kEmail, StringValue(static_cast<ASN1_STRING*>(v))});
        break;
      case GEN_IPADD: {
        const auto* s = static_cast<ASN1_OCTET_STRING*>(v);
        out.push_back({SanType::kIp, FormatIp(ASN1_STRING_get0_data(s), ASN1_STRING_length(s))});
        break;
      }
      case GEN_OTHERNAME:
        out.push_back({SanType::kOtherName, OtherNameValue(static_cast<OTHERNAME*>(v))});
        break;
      case GEN_DIRNAME:
        out.push_back({SanType::kDirName, NameToString(static_cast<X509_NAME*>(v))});
        break;
      case GEN_RID:
        out.push_back({SanType::kRegisteredId, ObjectName(static_cast<ASN1_OBJECT*>(v))});
        break;
      case GEN_X400: out.push_back({SanType::kOther, "x400Address"}); break;
      case GEN_EDIPARTY: out.push_back({SanType::kOther, "ediPartyName"}); break;
      default: out.push_back({SanType::kOther, "type " + std::to_string(type)});
    }
  }
  return out;
}

Status ValidateDnsName(std::string_view name) {
  const std::string quoted = "DNS name '" +
                             EscapeForDisplay(reinterpret_cast<const unsigned char*>(name.data()),
                                              std::min<size_t>(name.size(), 300)) +
                             "'";
  if (name.empty()) return InvalidArgumentError("DNS name is empty");
  if (name.size() > 253) return InvalidArgumentError(quoted + " is longer than 253 characters");
  for (unsigned char c : name) {
    if (c >= 0x80) {
      return InvalidArgumentError(quoted +
                                  " contains non-ASCII characters; use the IDNA A-label form "
                                  "(xn--...)");
    }
  }
  if (name.back() == '.') return InvalidArgumentError(quoted + " must not end with a dot");
  if (IsIpLiteral(name)) {
    return InvalidArgumentError(quoted + " is an IP address; list it as an IP address instead");
  }
  size_t labels = 0;
  bool wildcard = false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view label = name.substr(start, dot - start);
    const bool first = labels == 0;
    ++labels;
    start = dot + 1;
    if (label.empty()) return InvalidArgumentError(quoted + " has an empty label");
    if (label.size() > 63) {
      return InvalidArgumentError(quoted + " has a label longer than 63 characters");
    }
    if (label == "*" && first) {
      wildcard = true;  // how many labels follow is checked below
      continue;
    }
    for (char c : label) {
      if (c == '*') {
        return InvalidArgumentError(quoted +
                                    ": a wildcard must be the entire leftmost label ('*.')");
      }
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return InvalidArgumentError(quoted + " contains '" + std::string(1, c) +
                                    "'; only letters, digits and '-' are allowed");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return InvalidArgumentError(quoted + " has a label starting or ending with '-'");
    }
  }
  if (wildcard && labels < 3) {
    return InvalidArgumentError(quoted + ": a wildcard needs at least two labels after '*.'");
  }
  return OkStatus();
}

Status ValidateIpAddress(std::string_view ip) {
  if (ip.empty()) return InvalidArgumentError("IP address is empty");
  if (ip.size() > INET6_ADDRSTRLEN || !IsIpLiteral(ip)) {
    return InvalidArgumentError("'" +
                                EscapeForDisplay(reinterpret_cast<const unsigned char*>(ip.data()),
                                                 std::min<size_t>(ip.size(), 80)) +
                                "' is not an IPv4 or IPv6 address");
  }
  return OkStatus();
}

Status ValidateUri(std::string_view uri) {
  const std::string quoted = "URI '" +
                             EscapeForDisplay(reinterpret_cast<const unsigned char*>(uri.data()),
                                              std::min<size_t>(uri.size(), 300)) +
                             "'";
  size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgumentError(quoted + " has no scheme (expected e.g. 'spiffe://...')");
  }
  if (!std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return InvalidArgumentError(quoted + ": the scheme must start with a letter");
  }
  for (char c : uri.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return InvalidArgumentError(quoted + " has an invalid scheme");
    }
  }
  if (colon + 1 == uri.size()) return InvalidArgumentError(quoted + " is empty after the scheme");
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7f) {
      return InvalidArgumentError(quoted +
                                  " contains whitespace, control or non-ASCII characters "
                                  "(percent-encode them)");
    }
  }
  return OkStatus();
}

Status ValidateEmail(std::string_view email) {
  size_t at = email.rfind('@');
  const std::string quoted = "email '" +
                             EscapeForDisplay(reinterpret_cast<const unsigned char*>(email.data()),
                                              std::min<size_t>(email.size(), 300)) +
                             "'";
  if (at == std::string_view::npos || at == 0 || at + 1 == email.size()) {
    return InvalidArgumentError(quoted + " is not of the form local@domain");
  }
  for (unsigned char c : email.substr(0, at)) {
    if (c <= 0x20 || c >= 0x7f || c == '@') {
      return InvalidArgumentError(quoted + " has an invalid character in the local part");
    }
  }
  Status domain = ValidateDnsName(email.substr(at + 1));
  if (!domain.ok() || email.substr(at + 1, 1) == "*") {
    return InvalidArgumentError(quoted + " has an invalid domain" +
                                (domain.ok() ? std::string() : ": " + domain.message()));
  }
  return OkStatus();
}

Result<GeneralNamesPtr> BuildGeneralNames(const SanRequest& request) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return OpenSslError(StatusCode::kInternal, "cannot allocate subjectAltName");
  std::set<std::string> seen;
  for (const auto& dns : request.dns_names) {
    RETURN_IF_ERROR(ValidateDnsName(dns));
    if (!seen.insert("DNS:" + Lower(dns)).second) continue;
    RETURN_IF_ERROR(AddString(names.get(), GEN_DNS, dns));
  }
  for (const auto& ip : request.ip_addresses) {
    RETURN_IF_ERROR(ValidateIpAddress(ip));
    Asn1OctetStringPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) return OpenSslError(StatusCode::kInvalidArgument, "bad IP address '" + ip + "'");
    // Compare the canonical form so "::1" and "0:0::1" count as the same address.
    if (!seen.insert("IP:" + FormatIp(ASN1_STRING_get0_data(octets.get()),
                                      ASN1_STRING_length(octets.get())))
             .second) {
      continue;
    }
    RETURN_IF_ERROR(AddIp(names.get(), ip));
  }
  for (const auto& uri : request.uris) {
    RETURN_IF_ERROR(ValidateUri(uri));
    if (!seen.insert("URI:" + uri).second) continue;
    RETURN_IF_ERROR(AddString(names.get(), GEN_URI, uri));
  }
  for (const auto& email : request.emails) {
    RETURN_IF_ERROR(ValidateEmail(email));
    if (!seen.insert("email:" + email).second) continue;
    RETURN_IF_ERROR(AddString(names.get(), GEN_EMAIL, email));
  }
  return names;
}

}  // namespace ck::pki
