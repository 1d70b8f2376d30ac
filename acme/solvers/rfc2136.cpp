#include "acme/solvers/rfc2136.hpp"

#include <cctype>

#include "acme/solvers/dns_wire.hpp"
#include "pki/digest.hpp"

namespace ck::acme {
namespace {

using dns::Get16;
using dns::kClassAny;
using dns::kClassIn;
using dns::kClassNone;
using dns::kTypeSoa;
using dns::kTypeTsig;
using dns::kTypeTxt;
using dns::Put16;
using dns::Put32;
using dns::SkipName;

constexpr uint16_t kFudge = 300;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Uncompressed wire name, lowercase (canonical, RFC 4034 §6.2, which TSIG MACs use).
std::string WireName(const std::string& name) { return dns::WireName(dns::CanonicalName(name)); }

std::string TsigVariables(const TsigKey& key, uint64_t time_signed, uint16_t fudge, uint16_t error,
                          const std::string& other) {
  std::string v = WireName(key.name);
  Put16(v, kClassAny);
  Put32(v, 0);
  v += WireName(key.algorithm);
  Put16(v, static_cast<uint16_t>(time_signed >> 32));
  Put32(v, static_cast<uint32_t>(time_signed & 0xffffffff));
  Put16(v, fudge);
  Put16(v, error);
  Put16(v, static_cast<uint16_t>(other.size()));
  v += other;
  return v;
}

Result<std::string> Exchange(const std::string& server, const std::string& message) {
  return dns::Exchange(server, message, std::chrono::milliseconds(5000));
}

std::string RcodeName(int rcode) {
  switch (rcode) {
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
    default: return "rcode " + std::to_string(rcode);
  }
}

}  // namespace

Result<TsigKey> ParseTsigKeyFile(std::string_view text) {
  auto quoted_after = [&](std::string_view word) -> std::string {
    size_t at = text.find(word);
    if (at == std::string_view::npos) return "";
    size_t q1 = text.find('"', at + word.size());
    size_t q2 = q1 == std::string_view::npos ? q1 : text.find('"', q1 + 1);
    if (q2 == std::string_view::npos) return "";
    return std::string(text.substr(q1 + 1, q2 - q1 - 1));
  };
  TsigKey key;
  key.name = quoted_after("key");
  size_t alg = text.find("algorithm");
  if (alg != std::string_view::npos) {
    size_t start = alg + 9;
    while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
    size_t end = text.find(';', start);
    if (end != std::string_view::npos)
      key.algorithm = Lower(std::string(text.substr(start, end - start)));
  }
  std::string secret = quoted_after("secret");
  if (key.name.empty() || secret.empty()) {
    return InvalidArgumentError(
        "TSIG key file: expected key \"NAME\" { algorithm ...; secret \"...\"; };");
  }
  if (key.algorithm != "hmac-sha256") {
    return InvalidArgumentError("TSIG key file: algorithm " + key.algorithm +
                                " is not supported (use hmac-sha256)");
  }
  ASSIGN_OR_RETURN(key.secret, Base64Decode(secret));
  return key;
}

std::string BuildTxtUpdate(uint16_t id, const std::string& zone, const std::string& name,
                           const std::string& value, uint32_t ttl, bool add) {
  std::string m;
  Put16(m, id);
  Put16(m, 0x2800);  // opcode UPDATE (5)
  Put16(m, 1);       // ZOCOUNT
  Put16(m, 0);       // PRCOUNT
  Put16(m, 1);       // UPCOUNT
  Put16(m, 0);       // ADCOUNT
  m += WireName(zone);
  Put16(m, kTypeSoa);
  Put16(m, kClassIn);
  // RFC 2136 §2.5.1 add (class IN, ttl) / §2.5.4 delete an RR from an RRset (class NONE, ttl 0).
  m += WireName(name);
  Put16(m, kTypeTxt);
  Put16(m, add ? kClassIn : kClassNone);
  Put32(m, add ? ttl : 0);
  std::string rdata;
  for (size_t i = 0; i < value.size() || i == 0; i += 255) {
    std::string chunk = value.substr(i, 255);
    rdata += static_cast<char>(chunk.size());
    rdata += chunk;
    if (value.empty()) break;
  }
  Put16(m, static_cast<uint16_t>(rdata.size()));
  m += rdata;
  return m;
}

Result<std::string> SignTsig(const std::string& message, const TsigKey& key, TimePoint now,
                             Bytes* mac) {
  if (message.size() < 12) return InvalidArgumentError("DNS message too short to sign");
  uint64_t time_signed = static_cast<uint64_t>(ToUnixSeconds(now));
  // RFC 8945 §4.3.3: MAC over the message as sent (without the TSIG) + the TSIG variables.
  Bytes digest =
      pki::HmacSha256(key.secret, message + TsigVariables(key, time_signed, kFudge, 0, ""));
  std::string rdata = WireName(key.algorithm);
  Put16(rdata, static_cast<uint16_t>(time_signed >> 32));
  Put32(rdata, static_cast<uint32_t>(time_signed & 0xffffffff));
  Put16(rdata, kFudge);
  Put16(rdata, static_cast<uint16_t>(digest.size()));
  rdata.append(digest.begin(), digest.end());
  rdata.append(message, 0, 2);  // original ID
  Put16(rdata, 0);              // error
  Put16(rdata, 0);              // other len
  std::string out = message;
  uint16_t arcount = Get16(out, 10) + 1;
  out[10] = static_cast<char>(arcount >> 8);
  out[11] = static_cast<char>(arcount & 0xff);
  out += WireName(key.name);
  Put16(out, kTypeTsig);
  Put16(out, kClassAny);
  Put32(out, 0);
  Put16(out, static_cast<uint16_t>(rdata.size()));
  out += rdata;
  if (mac) *mac = digest;
  return out;
}

Status VerifyTsigResponse(const std::string& m, const Bytes& request_mac, const TsigKey& key) {
  if (m.size() < 12) return UnavailableError("DNS answer too short");
  uint16_t counts[4] = {Get16(m, 4), Get16(m, 6), Get16(m, 8), Get16(m, 10)};
  if (counts[3] == 0) return PermissionDeniedError("DNS answer is not TSIG-signed");
  size_t pos = 12;
  for (int i = 0; i < counts[0]; ++i) {
    if (!SkipName(m, pos) || pos + 4 > m.size()) return UnavailableError("DNS answer garbled");
    pos += 4;
  }
  size_t rr_total = static_cast<size_t>(counts[1]) + counts[2] + counts[3];
  size_t tsig_start = 0;
  for (size_t i = 0; i < rr_total; ++i) {
    size_t start = pos;
    if (!SkipName(m, pos) || pos + 10 > m.size()) return UnavailableError("DNS answer garbled");
    uint16_t rdlen = Get16(m, pos + 8);
    pos += 10 + rdlen;
    if (pos > m.size()) return UnavailableError("DNS answer garbled");
    if (i + 1 == rr_total) tsig_start = start;
  }
  // The TSIG RR is the last one (RFC 8945 §5.1).
  size_t p = tsig_start;
  SkipName(m, p);
  if (Get16(m, p) != kTypeTsig) return PermissionDeniedError("DNS answer is not TSIG-signed");
  size_t rd = p + 10;
  size_t q = rd;
  if (!SkipName(m, q) || q + 10 > m.size()) return UnavailableError("TSIG garbled");
  uint64_t time_signed = (static_cast<uint64_t>(Get16(m, q)) << 32) |
                         (static_cast<uint64_t>(Get16(m, q + 2)) << 16) | Get16(m, q + 4);
  uint16_t fudge = Get16(m, q + 6);
  uint16_t mac_size = Get16(m, q + 8);
  if (q + 10 + mac_size + 6 > m.size()) return UnavailableError("TSIG garbled");
  Bytes mac(m.begin() + static_cast<long>(q + 10),
            m.begin() + static_cast<long>(q + 10 + mac_size));
  size_t after = q + 10 + mac_size;
  uint16_t original_id = Get16(m, after);
  uint16_t error = Get16(m, after + 2);
  uint16_t other_len = Get16(m, after + 4);
  if (after + 6 + other_len > m.size()) return UnavailableError("TSIG garbled");
  std::string other = m.substr(after + 6, other_len);
  if (error != 0) {
    return PermissionDeniedError("DNS server rejected the TSIG signature (TSIG error " +
                                 std::to_string(error) + ": BADSIG=16, BADKEY=17, BADTIME=18)");
  }
  // RFC 8945 §4.3.1/§5.3: request MAC (length-prefixed) + response without its TSIG (original
  // id, ARCOUNT - 1) + the response's TSIG variables.
  std::string unsigned_part = m.substr(0, tsig_start);
  unsigned_part[0] = static_cast<char>(original_id >> 8);
  unsigned_part[1] = static_cast<char>(original_id & 0xff);
  uint16_t arcount = counts[3] - 1;
  unsigned_part[10] = static_cast<char>(arcount >> 8);
  unsigned_part[11] = static_cast<char>(arcount & 0xff);
  std::string input;
  Put16(input, static_cast<uint16_t>(request_mac.size()));
  input.append(request_mac.begin(), request_mac.end());
  input += unsigned_part;
  input += TsigVariables(key, time_signed, fudge, error, other);
  if (!pki::ConstantTimeEquals(pki::HmacSha256(key.secret, input), mac)) {
    return PermissionDeniedError("DNS answer has a wrong TSIG MAC");
  }
  return OkStatus();
}

Result<std::string> Dns01Rfc2136Solver::ZoneFor(const std::string& name) {
  if (!options_.zone.empty()) return options_.zone;
  // The closest enclosing name the server answers an SOA for (authoritatively) is the zone.
  std::string n = name;
  while (!n.empty()) {
    ASSIGN_OR_RETURN(uint16_t id, dns::RandomId());
    auto answer = Exchange(options_.server, dns::BuildQuery(n, kTypeSoa, id, false));
    auto msg = answer.ok() ? dns::ParseMessage(*answer, id) : Result<dns::Message>(answer.status());
    if (msg.ok() && msg->rcode == dns::kRcodeNoError && msg->authoritative) {
      // An SOA owned by n in an authoritative answer: n is a zone here. (A referral or
      // NODATA has none.)
      for (const auto& rr : msg->answers) {
        if (rr.type == kTypeSoa && rr.name == dns::CanonicalName(n)) return n;
      }
    }
    size_t dot = n.find('.');
    if (dot == std::string::npos) break;
    n = n.substr(dot + 1);
  }
  return NotFoundError("no zone on " + options_.server + " encloses " + name +
                       " (set the zone explicitly)");
}

Status Dns01Rfc2136Solver::Update(const ChallengeContext& c, bool add) {
  std::string name = c.DnsRecordName();
  ASSIGN_OR_RETURN(std::string zone, ZoneFor(c.identifier.value));
  ASSIGN_OR_RETURN(uint16_t id, dns::RandomId());
  std::string update = BuildTxtUpdate(id, zone, name, c.DnsTxtValue(), options_.ttl, add);
  Bytes mac;
  ASSIGN_OR_RETURN(std::string signed_update, SignTsig(update, options_.key, clock_.Now(), &mac));
  ASSIGN_OR_RETURN(std::string answer, Exchange(options_.server, signed_update));
  if (Get16(answer, 0) != id) return UnavailableError("DNS update answer with a different id");
  int rcode = Get16(answer, 2) & 0x000f;
  std::string what = std::string("RFC 2136 ") + (add ? "add" : "delete") + " TXT " + name +
                     " in zone " + zone + " on " + options_.server;
  if (rcode == 9 || rcode == 5) {
    Status tsig = VerifyTsigResponse(answer, mac, options_.key);
    return PermissionDeniedError(what + ": " + RcodeName(rcode) +
                                 (tsig.ok() ? "" : " (" + tsig.message() + ")"));
  }
  if (rcode != 0) return UnavailableError(what + ": " + RcodeName(rcode));
  RETURN_IF_ERROR(VerifyTsigResponse(answer, mac, options_.key));
  return OkStatus();
}

Status Dns01Rfc2136Solver::Present(const ChallengeContext& c) { return Update(c, true); }
Status Dns01Rfc2136Solver::CleanUp(const ChallengeContext& c) { return Update(c, false); }
Status Dns01Rfc2136Solver::Wait(const ChallengeContext& c) {
  PropagationCheck check = options_.check;
  if (check.nameservers.empty()) check.nameservers = {options_.server};
  return WaitForTxt(clock_, check, c.DnsRecordName(), c.DnsTxtValue());
}

}  // namespace ck::acme
