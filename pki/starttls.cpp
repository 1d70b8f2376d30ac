#include "pki/starttls.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace ck::pki {
namespace {

// Server replies are short; a peer that streams more than this is not the server we expect.
constexpr size_t kMaxReply = 64 * 1024;

// Reads CRLF-terminated lines from a non-blocking socket with a deadline. Bytes past the last
// line asked for stay buffered; a server must not send any before the TLS handshake.
class LineReader {
 public:
  LineReader(int fd, Deadline deadline, std::string where)
      : fd_(fd), deadline_(deadline), where_(std::move(where)) {}

  Result<std::string> ReadLine() {
    for (;;) {
      if (size_t eol = buffer_.find('\n'); eol != std::string::npos) {
        std::string line = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      RETURN_IF_ERROR(Fill());
    }
  }

  Result<char> ReadByte() {
    if (buffer_.empty()) RETURN_IF_ERROR(Fill());
    char c = buffer_.front();
    buffer_.erase(0, 1);
    return c;
  }

  Status Send(std::string_view data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        RETURN_IF_ERROR(
            WaitForSocket(fd_, /*for_write=*/true, deadline_, "STARTTLS with " + where_));
        continue;
      }
      return UnavailableError("STARTTLS with " + where_ + ": send: " + std::strerror(errno));
    }
    return OkStatus();
  }

  bool has_buffered() const { return !buffer_.empty(); }

 private:
  Status Fill() {
    if (total_ > kMaxReply) {
      return FailedPreconditionError("STARTTLS with " + where_ + ": reply longer than " +
                                     std::to_string(kMaxReply) + " bytes");
    }
    for (;;) {
      char chunk[1024];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buffer_.append(chunk, static_cast<size_t>(n));
        total_ += static_cast<size_t>(n);
        return OkStatus();
      }
      if (n == 0) {
        return UnavailableError("STARTTLS with " + where_ + ": the server closed the connection");
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        RETURN_IF_ERROR(
            WaitForSocket(fd_, /*for_write=*/false, deadline_, "STARTTLS with " + where_));
        continue;
      }
      return UnavailableError("STARTTLS with " + where_ + ": recv: " + std::strerror(errno));
    }
  }

  int fd_;
  Deadline deadline_;
  std::string where_;
  std::string buffer_;
  size_t total_ = 0;
};

// RFC 5321 §4.2.1: a reply is lines "CODE-text" ending with one "CODE text" (or bare "CODE").
struct SmtpReply {
  int code = 0;
  std::vector<std::string> lines;  // text after "CODE-"/"CODE "
};

Result<SmtpReply> ReadSmtpReply(LineReader& reader, const std::string& where) {
  SmtpReply reply;
  for (;;) {
    ASSIGN_OR_RETURN(std::string line, reader.ReadLine());
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
        !std::isdigit(static_cast<unsigned char>(line[1])) ||
        !std::isdigit(static_cast<unsigned char>(line[2]))) {
      return FailedPreconditionError("STARTTLS with " + where + ": not an SMTP reply: '" +
                                     line.substr(0, 80) + "'");
    }
    reply.code = std::stoi(line.substr(0, 3));
    reply.lines.push_back(line.size() > 4 ? line.substr(4) : "");
    if (line.size() == 3 || line[3] == ' ') return reply;
    if (line[3] != '-') {
      return FailedPreconditionError("STARTTLS with " + where + ": malformed SMTP reply: '" +
                                     line.substr(0, 80) + "'");
    }
  }
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// RFC 5321 §4.1.4: EHLO names the client; without a usable name, an address literal.
std::string EhloName(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  char buf[INET6_ADDRSTRLEN] = {0};
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (ss.ss_family == AF_INET &&
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf)) {
      return "[" + std::string(buf) + "]";
    }
    if (ss.ss_family == AF_INET6 &&
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf)) {
      return "[IPv6:" + std::string(buf) + "]";
    }
  }
  return "certkeeper.invalid";
}

Status Smtp(int fd, LineReader& r, const std::string& where) {
  ASSIGN_OR_RETURN(SmtpReply greeting, ReadSmtpReply(r, where));
  if (greeting.code != 220) {
    return FailedPreconditionError("SMTP server " + where + " refused the session: " +
                                   std::to_string(greeting.code) + " " + greeting.lines.back());
  }
  RETURN_IF_ERROR(r.Send("EHLO " + EhloName(fd) + "\r\n"));
  ASSIGN_OR_RETURN(SmtpReply ehlo, ReadSmtpReply(r, where));
  if (ehlo.code != 250) {
    return FailedPreconditionError("SMTP server " + where + " rejected EHLO: " +
                                   std::to_string(ehlo.code) + " " + ehlo.lines.back());
  }
  bool offered = false;
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {  // line 0 is the server's greeting name
    offered = offered || Upper(ehlo.lines[i]) == "STARTTLS";
  }
  if (!offered) {
    return FailedPreconditionError("SMTP server " + where +
                                   " does not offer STARTTLS in its EHLO reply");
  }
  RETURN_IF_ERROR(r.Send("STARTTLS\r\n"));
  ASSIGN_OR_RETURN(SmtpReply go, ReadSmtpReply(r, where));
  if (go.code != 220) {
    return FailedPreconditionError("SMTP server " + where + " refused STARTTLS: " +
                                   std::to_string(go.code) + " " + go.lines.back());
  }
  return OkStatus();
}

Status Imap(LineReader& r, const std::string& where) {
  ASSIGN_OR_RETURN(std::string greeting, r.ReadLine());
  if (!Upper(greeting).starts_with("* OK")) {
    return FailedPreconditionError("IMAP server " + where + " did not greet with * OK: '" +
                                   greeting.substr(0, 80) + "'");
  }
  RETURN_IF_ERROR(r.Send("a STARTTLS\r\n"));
  for (;;) {  // untagged lines ("* ...") may come before the tagged answer
    ASSIGN_OR_RETURN(std::string line, r.ReadLine());
    if (line.starts_with("* ")) continue;
    if (Upper(line).starts_with("A OK")) return OkStatus();
    return FailedPreconditionError("IMAP server " + where + " refused STARTTLS: '" +
                                   line.substr(0, 80) + "'");
  }
}

Status Postgres(LineReader& r, const std::string& where) {
  // SSLRequest: Int32 length 8, Int32 80877103 (1234 << 16 | 5679), big-endian.
  static constexpr char kSslRequest[] = {0, 0, 0, 8, 0x04, static_cast<char>(0xd2), 0x16, 0x2f};
  RETURN_IF_ERROR(r.Send(std::string_view(kSslRequest, sizeof kSslRequest)));
  ASSIGN_OR_RETURN(char answer, r.ReadByte());
  if (answer == 'S') return OkStatus();
  if (answer == 'N') {
    return FailedPreconditionError("PostgreSQL server " + where +
                                   " does not accept SSL (ssl = off)");
  }
  return FailedPreconditionError("PostgreSQL server " + where +
                                 " answered the SSLRequest with an unexpected byte");
}

}  // namespace

Result<StartTls> ParseStartTls(std::string_view name) {
  if (name.empty()) return StartTls::kNone;
  if (name == "smtp") return StartTls::kSmtp;
  if (name == "imap") return StartTls::kImap;
  if (name == "postgres") return StartTls::kPostgres;
  return InvalidArgumentError("unknown STARTTLS protocol '" + std::string(name) +
                              "' (expected smtp, imap or postgres)");
}

std::string_view StartTlsName(StartTls protocol) {
  switch (protocol) {
    case StartTls::kSmtp: return "smtp";
    case StartTls::kImap: return "imap";
    case StartTls::kPostgres: return "postgres";
    case StartTls::kNone: break;
  }
  return "";
}

Status NegotiateStartTls(int fd, StartTls protocol, Deadline deadline, const std::string& where) {
  LineReader reader(fd, deadline, where);
  Status s;
  switch (protocol) {
    case StartTls::kNone: return OkStatus();
    case StartTls::kSmtp: s = Smtp(fd, reader, where); break;
    case StartTls::kImap: s = Imap(reader, where); break;
    case StartTls::kPostgres: s = Postgres(reader, where); break;
  }
  RETURN_IF_ERROR(s);
  // Anything sent before our ClientHello would be read as if it came inside TLS
  // (CVE-2011-0411, "STARTTLS command injection"): refuse such a server.
  if (reader.has_buffered()) {
    return FailedPreconditionError(std::string(StartTlsName(protocol)) + " server " + where +
                                   " sent data after agreeing to STARTTLS");
  }
  return OkStatus();
}

}  // namespace ck::pki
