#include "web/http_types.hpp"

#include <nlohmann/json.hpp>

namespace ck::web {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted: return 409;
    case StatusCode::kFailedPrecondition: return 412;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse ProblemResponse(const Status& status) {
  HttpResponse resp;
  resp.status = HttpStatusFor(status.code());
  resp.content_type = "application/problem+json";
  nlohmann::json body = {
      {"type", status.problem_type().empty() ? "about:blank" : status.problem_type()},
      {"title", std::string(StatusCodeName(status.code()))},
      {"status", resp.status},
      {"detail", status.message()},
  };
  if (status.retry_after()) {
    auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(status.retry_after()->time_since_epoch())
            .count();
    resp.headers["Retry-After-Unix"] = std::to_string(secs);
  }
  resp.body = body.dump();
  return resp;
}

}  // namespace ck::web
