// Socket-free request/response types: handlers are plain functions of (request, Backend&), so
// they are tested without a server, and cpp-httplib stays inside admin_server.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/status.hpp"
#include "pki/certificate.hpp"

namespace ck::web {

struct HttpRequest {
  std::string method{};
  std::string path{};
  std::multimap<std::string, std::string> query{};
  std::map<std::string, std::string> headers{};  // lower-case names
  std::string body{};
  std::string remote_addr{};
  // The verified client certificate of an mTLS connection (leaf), when one was presented.
  std::optional<pki::Certificate> client_certificate{};
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

// RFC 9457 problem details ("application/problem+json") with the HTTP status that matches
// the Status code. The message is shown as `detail`; it must never carry secrets.
HttpResponse ProblemResponse(const Status& status);
int HttpStatusFor(StatusCode code);

}  // namespace ck::web
