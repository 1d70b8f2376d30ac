// The plaintext preamble some protocols speak before TLS starts on the same connection, so the
// probe can capture what a mail or database server serves on its ordinary port.
#pragma once

#include <string>
#include <string_view>

#include "common/status.hpp"
#include "pki/tcp_connect.hpp"

namespace ck::pki {

enum class StartTls {
  kNone,
  kSmtp,      // RFC 3207: EHLO, then STARTTLS
  kImap,      // RFC 9051 §6.2.1: "a STARTTLS"
  kPostgres,  // PostgreSQL protocol: SSLRequest, then 'S'
};

// "smtp", "imap", "postgres"; InvalidArgument naming the accepted values otherwise. "" = kNone.
Result<StartTls> ParseStartTls(std::string_view name);
std::string_view StartTlsName(StartTls protocol);  // "" for kNone

// Runs the preamble on a connected socket (non-blocking, as ConnectTcp returns it) until the
// server is ready for a ClientHello. DeadlineExceeded when the deadline passes; FailedPrecondition
// when the server refuses or does not offer TLS; Unavailable when it hangs up. `where` names the
// server in messages.
Status NegotiateStartTls(int fd, StartTls protocol, Deadline deadline, const std::string& where);

}  // namespace ck::pki
