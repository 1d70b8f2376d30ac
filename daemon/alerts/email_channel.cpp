#include "daemon/alerts/email_channel.hpp"

#include <cctype>
#include <cstring>
#include <ctime>

#include "common/curl_handles.hpp"
#include "common/file_util.hpp"
#include "common/rng.hpp"
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

struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadPayload(char* buffer, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t room = size * n;
  size_t len = std::min(room, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, len);
  up->offset += len;
  return len;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

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
  CurlEasy curl = NewCurlEasy();
  if (!curl) return InternalError("curl_easy_init failed");
  CURL* c = curl.get();

  const TimePoint now = clock_.Now();
  SystemRng rng;
  char id[80];
  std::snprintf(id, sizeof id, "%016llx.%016llx", static_cast<unsigned long long>(rng.NextU64()),
                static_cast<unsigned long long>(ToUnixSeconds(now)));
  const std::string message = Message(notice, now, std::string(id) + "@" + Domain(c_.from));
  Upload upload{message};

  CurlSlist rcpt;
  for (const auto& r : c_.to) {
    if (!CurlSlistAppend(rcpt, ("<" + r + ">").c_str())) {
      return InternalError("curl_slist_append failed");
    }
  }
  store::SecretString password;
  if (!c_.password_file.empty()) {
    RETURN_IF_ERROR(CheckSecretFileMode(c_.password_file));
    ASSIGN_OR_RETURN(std::string text, ReadFile(c_.password_file, 4096));
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    password = store::SecretString(std::move(text));
  }
  const std::string from = "<" + c_.from + ">";
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, c_.smtp.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  // STARTTLS or fail: curl refuses to send when the server does not offer it.
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   static_cast<long>(c_.starttls_required ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!c_.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, c_.ca_bundle.c_str());
  const long total_ms = static_cast<long>(c_.timeout.count() * 1000);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(total_ms, 5000L));
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  if (!c_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, c_.username.c_str());
    // view() of a std::string is NUL-terminated; curl copies it.
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.view().data());
  }
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadPayload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);

  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return OkStatus();
  std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
  while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
  const std::string what = "email via " + c_.smtp + ": " + why;
  switch (rc) {
    case CURLE_USE_SSL_FAILED:
      return FailedPreconditionError(what + " (the server does not offer STARTTLS)");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return FailedPreconditionError(what + " (set ca_bundle to trust the SMTP server)");
    case CURLE_LOGIN_DENIED: return PermissionDeniedError(what);
    case CURLE_OPERATION_TIMEDOUT: return DeadlineExceededError(what);
    default: return UnavailableError(what);
  }
}

}  // namespace ck::alerts
