#include "daemon/alerts/email_channel.hpp"

#include <cctype>
#include <cstring>
#include <ctime>

#include "common/file_util.hpp"
#include "common/rng.hpp"
#include "common/smtp_client.hpp"
#include "daemon/alerts/notice_text.hpp"
#include "store/secret_string.hpp"

namespace ck::alerts {
namespace {

// Header values must be one line of printable ASCII (RFC 5322 §2.2); anything else becomes '?'
// rather than an encoded word, because alert subjects are ASCII names in practice.
std::string HeaderValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : (c == '\n' || c == '\r' || c == '\t' ? ' ' : '?'));
  }
  return out;
}

// RFC 5321 §4.5.3.1.6: lines of at most 998 characters; LF -> CRLF.
std::string BodyLines(std::string_view text) {
  std::string out;
  size_t col = 0;
  for (char c : text) {
    if (c == '\r') continue;
    if (c == '\n') {
      out += "\r\n";
      col = 0;
      continue;
    }
    if (col == 900) {
      out += "\r\n";
      col = 0;
    }
    out.push_back(c);
    ++col;
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

std::string Domain(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? "certkeeper.invalid" : std::string(address.substr(at + 1));
}

}  // namespace

std::string Rfc5322Date(TimePoint t) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(ToUnixSeconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string EmailChannel::Message(const AlertNotice& notice, TimePoint now,
                                  std::string_view message_id) const {
  std::string to;
  for (const auto& r : c_.to) to += (to.empty() ? "" : ", ") + r;
  std::string m;
  m += "Date: " + Rfc5322Date(now) + "\r\n";
  m += "From: certkeeper <" + c_.from + ">\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + HeaderValue(NoticeSubject(notice)) + "\r\n";
  m += "Message-ID: <" + std::string(message_id) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no auto-replies to alerts
  m += "X-Certkeeper-Alert-State: " + std::string(NoticeStateName(notice.state)) + "\r\n";
  m += "\r\n";
  m += BodyLines(NoticeText(notice));
  return m;
}

Status EmailChannel::Send(const AlertNotice& notice) {
  const TimePoint now = clock_.Now();
  SystemRng rng;
  char id[80];
  std::snprintf(id, sizeof id, "%016llx.%016llx", static_cast<unsigned long long>(rng.NextU64()),
                static_cast<unsigned long long>(ToUnixSeconds(now)));
  const std::string message = Message(notice, now, std::string(id) + "@" + Domain(c_.from));

  store::SecretString password;
  if (!c_.password_file.empty()) {
    RETURN_IF_ERROR(CheckSecretFileMode(c_.password_file));
    ASSIGN_OR_RETURN(std::string text, ReadFile(c_.password_file, 4096));
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    password = store::SecretString(std::move(text));
  }
  smtp::MailOptions o;
  o.url = c_.smtp;
  o.require_tls = c_.starttls_required;
  o.ca_bundle = c_.ca_bundle;
  o.username = c_.username;
  o.password = password.view();
  o.total_timeout = c_.timeout;
  o.connect_timeout = std::min<std::chrono::milliseconds>(c_.timeout, std::chrono::seconds(5));
  return smtp::SendMail(o, c_.from, c_.to, message);
}

}  // namespace ck::alerts
