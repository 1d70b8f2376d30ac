// DNS wire format (RFC 1035 §4) shared by the dns-01 propagation check, authoritative server
// discovery and RFC 2136 updates: building queries, a bounded parser of whole messages (name
// compression, every count and length checked against the bytes actually received) and one
// UDP exchange with an "IPv4:port" server.
//
// Nothing here trusts the peer: counts are only upper bounds for loops that stop at the end
// of the message, compression pointers must point strictly backwards (so they cannot loop)
// and names are capped at 255 octets (RFC 1035 §2.3.4).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace ck::acme::dns {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeNs = 2;
constexpr uint16_t kTypeCname = 5;
constexpr uint16_t kTypeSoa = 6;
constexpr uint16_t kTypeTxt = 16;
constexpr uint16_t kTypeTsig = 250;
constexpr uint16_t kClassIn = 1;
constexpr uint16_t kClassNone = 254;
constexpr uint16_t kClassAny = 255;

constexpr int kRcodeNoError = 0;
constexpr int kRcodeNxDomain = 3;

void Put16(std::string& out, uint16_t v);
void Put32(std::string& out, uint32_t v);
// Callers check `at + 2 <= m.size()` (resp. 4) first.
uint16_t Get16(const std::string& m, size_t at);
uint32_t Get32(const std::string& m, size_t at);

// Lowercase ASCII, without a trailing dot: the form names are compared in.
std::string CanonicalName(std::string_view name);

// An uncompressed wire name for a dotted name (trailing dot optional, empty = root). Empty
// labels are dropped; labels are cut at 63 octets. Case is kept (TSIG callers lowercase).
std::string WireName(std::string_view name);

// Skips a (possibly compressed) name at `pos`; false on garbage.
bool SkipName(const std::string& m, size_t& pos);

// Reads a (possibly compressed, RFC 1035 §4.1.4) name at `pos`, advancing `pos` past its
// in-place bytes. Returns it lowercase and dotted without a trailing dot ("" = root).
// Unavailable on truncation, forward or looping pointers, reserved label types, a label with
// a '.' in it, or more than 255 octets.
Result<std::string> ReadName(const std::string& m, size_t& pos);

// A query message for (name, type, class IN). `recursion_desired` for a recursive resolver;
// authoritative servers are asked without it.
std::string BuildQuery(const std::string& name, uint16_t type, uint16_t id, bool recursion_desired);

struct ResourceRecord {
  std::string name;  // canonical (see CanonicalName)
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;
  size_t rdata_offset = 0;  // into the message, so names inside RDATA can be decompressed
  uint16_t rdata_length = 0;
};

struct Message {
  uint16_t id = 0;
  uint16_t flags = 0;
  int rcode = 0;
  bool authoritative = false;
  bool truncated = false;
  std::string question_name;  // canonical; empty with no question
  uint16_t question_type = 0;
  std::vector<ResourceRecord> answers, authority, additional;
};

// Parses a whole response. Unavailable when it is garbled, not a response, or carries an id
// other than `id`. The rcode is reported, not judged: callers decide what NXDOMAIN means.
Result<Message> ParseMessage(const std::string& m, uint16_t id);

// RDATA readers; each checks that the RDATA holds exactly / at least what it should.
Result<std::string> ReadRdataName(const std::string& m, const ResourceRecord& rr);  // NS, CNAME
Result<std::string> ReadRdataIpv4(const std::string& m, const ResourceRecord& rr);  // A
// RFC 1035 §3.3.14: one or more <character-string>s, joined for one TXT value.
Result<std::string> ReadRdataTxt(const std::string& m, const ResourceRecord& rr);

// A random 16-bit message id (RFC 5452 §4.3: ids must not be predictable).
Result<uint16_t> RandomId();

// "a.b.c.d:port" (port optional, default 53) checked; InvalidArgument otherwise.
Status CheckServerAddress(const std::string& server);

// Sends `query` over UDP to `server` ("IPv4:port") and returns the first reply carrying the
// query's id, waiting at most `timeout` in all. Replies with another id are dropped (they
// are late answers or spoofing attempts). Unavailable for network trouble or no answer.
Result<std::string> Exchange(const std::string& server, const std::string& query,
                             std::chrono::milliseconds timeout);

}  // namespace ck::acme::dns
