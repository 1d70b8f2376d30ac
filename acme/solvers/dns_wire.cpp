#include "acme/solvers/dns_wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "pki/digest.hpp"

namespace ck::acme::dns {
namespace {

constexpr size_t kMaxNameOctets = 255;  // RFC 1035 §2.3.4
constexpr int kMaxPointerHops = 64;
// A resource record is at least a 1-octet name (or a 2-octet pointer) + 10 octets of fixed
// fields, so no message of n octets can hold more than n / 11 of them.
constexpr size_t kMinRecordOctets = 11;

Status Garbled(const std::string& what) { return UnavailableError("DNS message garbled: " + what); }

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<sockaddr_in> ParseServer(const std::string& server) {
  size_t colon = server.rfind(':');
  std::string host = colon == std::string::npos ? server : server.substr(0, colon);
  long port = 53;
  if (colon != std::string::npos) {
    std::string digits = server.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      port = -1;
    } else {
      port = std::stol(digits);
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 || port <= 0 || port > 65535) {
    return InvalidArgumentError("DNS server must be IPv4:port, got " + server);
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

Result<ResourceRecord> ReadRecord(const std::string& m, size_t& pos) {
  ResourceRecord rr;
  ASSIGN_OR_RETURN(rr.name, ReadName(m, pos));
  if (pos + 10 > m.size()) return Garbled("record header truncated");
  rr.type = Get16(m, pos);
  rr.klass = Get16(m, pos + 2);
  rr.ttl = Get32(m, pos + 4);
  rr.rdata_length = Get16(m, pos + 8);
  pos += 10;
  if (rr.rdata_length > m.size() - pos) return Garbled("RDATA truncated");
  rr.rdata_offset = pos;
  pos += rr.rdata_length;
  return rr;
}

Status ReadSection(const std::string& m, size_t& pos, uint16_t count,
                   std::vector<ResourceRecord>& out) {
  if (count > m.size() / kMinRecordOctets) return Garbled("record count beyond the message");
  out.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(ResourceRecord rr, ReadRecord(m, pos));
    out.push_back(std::move(rr));
  }
  return OkStatus();
}

}  // namespace

void Put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

void Put32(std::string& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v & 0xffff));
}

uint16_t Get16(const std::string& m, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(m[at]) << 8) |
                               static_cast<uint8_t>(m[at + 1]));
}

uint32_t Get32(const std::string& m, size_t at) {
  return (static_cast<uint32_t>(Get16(m, at)) << 16) | Get16(m, at + 2);
}

std::string CanonicalName(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string WireName(std::string_view name) {
  std::string out;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    size_t end = dot == std::string_view::npos ? name.size() : dot;
    std::string_view label = name.substr(start, std::min<size_t>(end - start, 63));
    if (!label.empty()) {
      out += static_cast<char>(label.size());
      out += label;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  out += '\0';
  return out;
}

bool SkipName(const std::string& m, size_t& pos) {
  for (int labels = 0; labels < 128; ++labels) {
    if (pos >= m.size()) return false;
    uint8_t len = static_cast<uint8_t>(m[pos]);
    if ((len & 0xc0) == 0xc0) {  // RFC 1035 §4.1.4 pointer: ends the name here
      if (pos + 2 > m.size()) return false;
      pos += 2;
      return true;
    }
    if ((len & 0xc0) != 0) return false;
    pos += 1 + len;
    if (len == 0) return true;
  }
  return false;
}

Result<std::string> ReadName(const std::string& m, size_t& pos) {
  std::string name;
  size_t octets = 1;   // the root label
  size_t at = pos;     // where the next label is read
  size_t floor = pos;  // pointers must go strictly below this (RFC 1035: "prior occurrence")
  bool jumped = false;
  for (int hops = 0;;) {
    if (at >= m.size()) return Garbled("name truncated");
    uint8_t len = static_cast<uint8_t>(m[at]);
    if ((len & 0xc0) == 0xc0) {
      if (at + 2 > m.size()) return Garbled("pointer truncated");
      size_t target = Get16(m, at) & 0x3fff;
      if (target >= floor || ++hops > kMaxPointerHops) return Garbled("compression loop");
      if (!jumped) pos = at + 2;
      jumped = true;
      floor = target;
      at = target;
      continue;
    }
    if ((len & 0xc0) != 0) return Garbled("reserved label type");
    if (len == 0) {
      if (!jumped) pos = at + 1;
      return name;
    }
    if (at + 1 + len > m.size()) return Garbled("label truncated");
    octets += 1 + len;
    if (octets > kMaxNameOctets) return Garbled("name longer than 255 octets");
    if (!name.empty()) name += '.';
    for (size_t i = 0; i < len; ++i) {
      char c = m[at + 1 + i];
      if (c == '.') return Garbled("label with a dot");
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    at += 1 + len;
  }
}

std::string BuildQuery(const std::string& name, uint16_t type, uint16_t id,
                       bool recursion_desired) {
  std::string q;
  Put16(q, id);
  Put16(q, recursion_desired ? 0x0100 : 0x0000);  // standard query, RD as asked
  Put16(q, 1);                                    // QDCOUNT
  Put16(q, 0);
  Put16(q, 0);
  Put16(q, 0);
  q += WireName(name);
  Put16(q, type);
  Put16(q, kClassIn);
  return q;
}

Result<Message> ParseMessage(const std::string& m, uint16_t id) {
  if (m.size() < 12) return UnavailableError("DNS answer too short");
  Message msg;
  msg.id = Get16(m, 0);
  if (msg.id != id) return UnavailableError("DNS answer with a different id");
  msg.flags = Get16(m, 2);
  if ((msg.flags & 0x8000) == 0) return UnavailableError("DNS message is not a response");
  msg.rcode = msg.flags & 0x000f;
  msg.authoritative = (msg.flags & 0x0400) != 0;
  msg.truncated = (msg.flags & 0x0200) != 0;
  uint16_t qd = Get16(m, 4), an = Get16(m, 6), ns = Get16(m, 8), ar = Get16(m, 10);
  size_t pos = 12;
  if (qd > 1) return Garbled("more than one question");  // RFC 9619: QDCOUNT is 0 or 1
  if (qd == 1) {
    ASSIGN_OR_RETURN(msg.question_name, ReadName(m, pos));
    if (pos + 4 > m.size()) return Garbled("question truncated");
    msg.question_type = Get16(m, pos);
    pos += 4;
  }
  RETURN_IF_ERROR(ReadSection(m, pos, an, msg.answers));
  RETURN_IF_ERROR(ReadSection(m, pos, ns, msg.authority));
  RETURN_IF_ERROR(ReadSection(m, pos, ar, msg.additional));
  return msg;
}

Result<std::string> ReadRdataName(const std::string& m, const ResourceRecord& rr) {
  if (rr.rdata_offset > m.size() || rr.rdata_length > m.size() - rr.rdata_offset) {
    return Garbled("RDATA outside the message");
  }
  size_t pos = rr.rdata_offset;
  ASSIGN_OR_RETURN(std::string name, ReadName(m, pos));
  if (pos > rr.rdata_offset + rr.rdata_length) return Garbled("name runs past its RDATA");
  return name;
}

Result<std::string> ReadRdataIpv4(const std::string& m, const ResourceRecord& rr) {
  if (rr.rdata_length != 4 || rr.rdata_offset > m.size() || m.size() - rr.rdata_offset < 4) {
    return Garbled("A record RDATA is not 4 octets");
  }
  const auto* b = reinterpret_cast<const uint8_t*>(m.data() + rr.rdata_offset);
  return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
         std::to_string(b[3]);
}

Result<std::string> ReadRdataTxt(const std::string& m, const ResourceRecord& rr) {
  if (rr.rdata_offset > m.size() || rr.rdata_length > m.size() - rr.rdata_offset) {
    return Garbled("RDATA outside the message");
  }
  std::string value;
  size_t p = rr.rdata_offset, end = rr.rdata_offset + rr.rdata_length;
  while (p < end) {
    uint8_t len = static_cast<uint8_t>(m[p]);
    if (p + 1 + len > end) return UnavailableError("DNS TXT garbled");
    value.append(m, p + 1, len);
    p += 1 + len;
  }
  return value;
}

Result<uint16_t> RandomId() {
  ASSIGN_OR_RETURN(Bytes rnd, pki::RandomBytes(2));
  return static_cast<uint16_t>((rnd[0] << 8) | rnd[1]);
}

Status CheckServerAddress(const std::string& server) { return ParseServer(server).status(); }

Result<std::string> Exchange(const std::string& server, const std::string& query,
                             std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(sockaddr_in addr, ParseServer(server));
  if (query.size() < 12) return InvalidArgumentError("DNS query too short");
  Fd fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (fd.fd < 0) return UnavailableError("socket: " + std::string(std::strerror(errno)));
  // A connected socket only receives datagrams from `server`.
  if (::connect(fd.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::send(fd.fd, query.data(), query.size(), 0) < 0) {
    return UnavailableError("DNS query to " + server + ": " + std::strerror(errno));
  }
  // A socket timeout, not a scheduling decision: measured on the monotonic clock so the
  // budget holds across dropped datagrams.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int datagrams = 0; datagrams < 64; ++datagrams) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd.fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd.fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError("DNS recv from " + server + ": " + std::strerror(errno));
    }
    if (n < 12) return UnavailableError("DNS answer from " + server + " too short");
    if (buf[0] != query[0] || buf[1] != query[1]) continue;  // not ours
    return std::string(buf, static_cast<size_t>(n));
  }
  return UnavailableError("no DNS answer from " + server);
}

}  // namespace ck::acme::dns
