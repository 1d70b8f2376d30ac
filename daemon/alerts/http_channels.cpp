#include "daemon/alerts/http_channels.hpp"

#include <algorithm>
#include <cctype>

#include "common/file_util.hpp"
#include "common/http_client.hpp"
#include "daemon/alerts/notice_text.hpp"
#include "daemon/deploy/webhook_deployer.hpp"
#include "store/secret_string.hpp"

namespace ck::alerts {
namespace {

std::string Snippet(std::string_view body) {
  std::string s(body.substr(0, 200));
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s;
}

// One bounded POST of a JSON body; 2xx is success, anything else an error naming the URL.
Status PostJson(const config::AlertChannelConfig& c, const std::string& body,
                std::vector<std::pair<std::string, std::string>> extra_headers) {
  http::ClientOptions options;
  options.ca_bundle = c.ca_bundle;
  options.user_agent = "certkeeper-alerts";
  options.total_timeout = c.timeout;
  options.connect_timeout = std::min<std::chrono::milliseconds>(c.timeout, std::chrono::seconds(5));
  options.max_response_bytes = 64 * 1024;
  http::Request req;
  req.method = "POST";
  req.url = c.url;
  req.headers = {{"Content-Type", "application/json"}};
  for (auto& h : extra_headers) req.headers.push_back(std::move(h));
  req.body = body;
  http::Connection connection;
  auto resp = connection.Do(req, options);
  if (!resp.ok()) {
    // The client's message starts with "POST URL: ".
    return Status(resp.status().code(), c.type + " " + std::string(resp.status().message()));
  }
  if (resp->status < 200 || resp->status >= 300) {
    return UnavailableError(c.type + " " + c.url + " answered HTTP " +
                            std::to_string(resp->status) + ": " + Snippet(resp->body));
  }
  return OkStatus();
}

}  // namespace

Status WebhookChannel::Send(const AlertNotice& notice) {
  const std::string body =
      NoticeJson(notice).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::vector<std::pair<std::string, std::string>> headers;
  if (!c_.secret_file.empty()) {
    RETURN_IF_ERROR(CheckSecretFileMode(c_.secret_file));
    ASSIGN_OR_RETURN(std::string text, ReadFile(c_.secret_file, 64 * 1024));
    store::SecretString secret(std::move(text));
    std::string_view key = secret.view();
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) {
      key.remove_suffix(1);
    }
    if (key.empty()) {
      return FailedPreconditionError("webhook secret file " + c_.secret_file + " is empty");
    }
    // Same scheme as the deploy webhook, so one receiver verifies both.
    const std::string ts = std::to_string(ToUnixSeconds(clock_.Now()));
    headers.emplace_back("X-Certkeeper-Timestamp", ts);
    headers.emplace_back("X-Certkeeper-Signature",
                         "sha256=" + deploy::WebhookSignature(key, ts, body));
  }
  return PostJson(c_, body, std::move(headers));
}

std::string SlackChannel::Body(const AlertNotice& notice) {
  nlohmann::json j = {{"text", NoticeSubject(notice) + "\n" + notice.message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status SlackChannel::Send(const AlertNotice& notice) { return PostJson(c_, Body(notice), {}); }

}  // namespace ck::alerts
