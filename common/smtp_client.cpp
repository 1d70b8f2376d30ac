#include "common/smtp_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

#include "common/curl_handles.hpp"

namespace ck::smtp {
namespace {

struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadPayload(char* buffer, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t len = std::min(size * n, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, len);
  up->offset += len;
  return len;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

Status SendMail(const MailOptions& o, const std::string& from, const std::vector<std::string>& to,
                std::string_view message) {
  CurlEasy curl = NewCurlEasy();
  if (!curl) return InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  CurlSlist rcpt;
  for (const auto& r : to) {
    if (!CurlSlistAppend(rcpt, ("<" + r + ">").c_str())) {
      return InternalError("curl_slist_append failed");
    }
  }
  const std::string mail_from = "<" + from + ">";
  // Copied by curl; the caller's buffer may not be NUL-terminated.
  const std::string password(o.password);
  Upload upload{message};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, o.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   static_cast<long>(o.require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!o.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_bundle.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(o.connect_timeout, o.total_timeout).count()));
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  if (!o.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, o.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
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
  const std::string what = "email via " + o.url + ": " + why;
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

}  // namespace ck::smtp
