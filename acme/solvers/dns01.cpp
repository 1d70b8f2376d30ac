#include "acme/solvers/dns01.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/log.hpp"
#include "pki/digest.hpp"

extern char** environ;

namespace ck::acme {
namespace {

constexpr uint16_t kTypeTxt = 16;
constexpr uint16_t kClassIn = 1;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void Put16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

uint16_t Get16(const std::string& m, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(m[at]) << 8) |
                               static_cast<uint8_t>(m[at + 1]));
}

// Skips a (possibly compressed) name starting at `pos`; false on garbage.
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

}  // namespace

std::string BuildTxtQuery(const std::string& name, uint16_t id) {
  std::string q;
  Put16(q, id);
  Put16(q, 0x0000);  // standard query; no recursion wanted from an authoritative server
  Put16(q, 1);       // QDCOUNT
  Put16(q, 0);
  Put16(q, 0);
  Put16(q, 0);
  size_t start = 0;
  std::string n = name;
  if (!n.empty() && n.back() == '.') n.pop_back();
  while (start <= n.size() && !n.empty()) {
    size_t dot = n.find('.', start);
    std::string label = n.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    q += static_cast<char>(std::min<size_t>(label.size(), 63));
    q += label.substr(0, 63);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  q += '\0';
  Put16(q, kTypeTxt);
  Put16(q, kClassIn);
  return q;
}

Result<std::vector<std::string>> ParseTxtAnswer(const std::string& m, uint16_t id) {
  if (m.size() < 12) return UnavailableError("DNS answer too short");
  if (Get16(m, 0) != id) return UnavailableError("DNS answer with a different id");
  uint16_t flags = Get16(m, 2);
  if ((flags & 0x8000) == 0) return UnavailableError("DNS message is not a response");
  int rcode = flags & 0x000f;
  if (rcode == 3) return NotFoundError("NXDOMAIN");
  if (rcode != 0) return UnavailableError("DNS rcode " + std::to_string(rcode));
  uint16_t qd = Get16(m, 4), an = Get16(m, 6);
  size_t pos = 12;
  for (int i = 0; i < qd; ++i) {
    if (!SkipName(m, pos) || pos + 4 > m.size()) return UnavailableError("DNS answer garbled");
    pos += 4;
  }
  std::vector<std::string> out;
  for (int i = 0; i < an; ++i) {
    if (!SkipName(m, pos) || pos + 10 > m.size()) return UnavailableError("DNS answer garbled");
    uint16_t type = Get16(m, pos), klass = Get16(m, pos + 2), rdlen = Get16(m, pos + 8);
    pos += 10;
    if (pos + rdlen > m.size()) return UnavailableError("DNS answer garbled");
    if (type == kTypeTxt && klass == kClassIn) {
      // RFC 1035 §3.3.14: one or more <character-string>s, joined for one TXT value.
      std::string value;
      size_t p = pos, end = pos + rdlen;
      while (p < end) {
        uint8_t len = static_cast<uint8_t>(m[p]);
        if (p + 1 + len > end) return UnavailableError("DNS TXT garbled");
        value.append(m, p + 1, len);
        p += 1 + len;
      }
      out.push_back(std::move(value));
    }
    pos += rdlen;
  }
  if (out.empty()) return NotFoundError("no TXT record");
  return out;
}

Result<std::vector<std::string>> QueryTxt(const std::string& server, const std::string& name,
                                          std::chrono::milliseconds timeout) {
  size_t colon = server.rfind(':');
  std::string host = colon == std::string::npos ? server : server.substr(0, colon);
  int port = colon == std::string::npos ? 53 : std::atoi(server.c_str() + colon + 1);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 || port <= 0 || port > 65535) {
    return InvalidArgumentError("nameserver must be IPv4:port, got " + server);
  }
  Fd fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (fd.fd < 0) return UnavailableError("socket: " + std::string(std::strerror(errno)));
  ASSIGN_OR_RETURN(Bytes rnd, pki::RandomBytes(2));
  uint16_t id = static_cast<uint16_t>((rnd[0] << 8) | rnd[1]);
  std::string q = BuildTxtQuery(name, id);
  if (::sendto(fd.fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    return UnavailableError("DNS query to " + server + ": " + std::strerror(errno));
  }
  pollfd p{fd.fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return UnavailableError("no DNS answer from " + server);
  }
  char buf[4096];
  ssize_t n = ::recv(fd.fd, buf, sizeof buf, 0);
  if (n <= 0) return UnavailableError("DNS recv from " + server + " failed");
  return ParseTxtAnswer(std::string(buf, static_cast<size_t>(n)), id);
}

Status WaitForTxt(Clock& clock, const PropagationCheck& check, const std::string& fqdn,
                  const std::string& value) {
  if (check.nameservers.empty()) return OkStatus();
  TimePoint deadline = clock.Now() + check.timeout;
  auto interval = check.initial_interval;
  std::vector<std::string> missing = check.nameservers;
  for (;;) {
    std::vector<std::string> still;
    for (const auto& ns : missing) {
      auto txt = QueryTxt(ns, fqdn, std::chrono::milliseconds(1000));
      bool seen = txt.ok() && std::find(txt->begin(), txt->end(), value) != txt->end();
      if (!seen) still.push_back(ns);
    }
    missing = std::move(still);
    if (missing.empty()) return OkStatus();
    if (clock.Now() >= deadline) {
      std::string list;
      for (const auto& ns : missing) list += (list.empty() ? "" : ", ") + ns;
      return DeadlineExceededError("TXT " + fqdn + " not visible on " + list + " after " +
                                   std::to_string(check.timeout.count()) + "s");
    }
    auto stop = check.should_stop ? check.should_stop : std::function<bool()>([] { return false; });
    clock.SleepUntil(std::min(deadline, clock.Now() + interval), stop);
    if (stop()) return AbortedError("waiting for TXT " + fqdn + " cancelled");
    interval = std::min(interval * 2, check.max_interval);
  }
}

Status Dns01ExecSolver::Run(const std::string& action, const ChallengeContext& c) {
  // lego's exec provider: `PROG present|cleanup FQDN VALUE`, FQDN with the trailing dot.
  std::string fqdn = c.DnsRecordName() + ".";
  std::string value = c.DnsTxtValue();
  std::vector<std::string> args = {program_, action, fqdn, value};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, program_.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    return FailedPreconditionError("dns-01 exec: cannot run " + program_ + ": " +
                                   std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return UnavailableError("dns-01 exec: `" + program_ + " " + action + " " + fqdn + "` failed (" +
                            (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                               : std::string("killed")) +
                            ")");
  }
  return OkStatus();
}

Status Dns01ExecSolver::Present(const ChallengeContext& c) { return Run("present", c); }
Status Dns01ExecSolver::CleanUp(const ChallengeContext& c) { return Run("cleanup", c); }
Status Dns01ExecSolver::Wait(const ChallengeContext& c) {
  return WaitForTxt(clock_, check_, c.DnsRecordName(), c.DnsTxtValue());
}

}  // namespace ck::acme
