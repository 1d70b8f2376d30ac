// Sending one message over SMTP (libcurl), for the email alert channel. smtp:// upgrades with
// STARTTLS and, when TLS is required, refuses a server that does not offer it (curl's
// CURLUSESSL_ALL), so nothing goes out in clear text; smtps:// is TLS from the first byte. The
// server certificate is always verified. curl's types stay in smtp_client.cpp.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace ck::smtp {

struct MailOptions {
  std::string url;            // smtp://host[:port] or smtps://host[:port]
  bool require_tls = true;    // false: plain SMTP allowed (loopback test sinks)
  std::string ca_bundle;      // PEM file trusted for the server; empty = system store
  std::string username;       // AUTH, when not empty
  std::string_view password;  // the caller keeps the secret (and wipes it)
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{10'000};
};

// Sends `message` (RFC 5322, CRLF line ends) from `from` to every address in `to`. Errors name
// the URL:
//   FailedPrecondition  no STARTTLS although required; the server's certificate not trusted
//   PermissionDenied    login refused
//   DeadlineExceeded    connect or total timeout
//   Unavailable         anything else (refused, reset, rejected recipient, ...)
Status SendMail(const MailOptions& options, const std::string& from,
                const std::vector<std::string>& to, std::string_view message);

}  // namespace ck::smtp
