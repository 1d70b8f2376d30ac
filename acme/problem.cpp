#include "acme/problem.hpp"

#include <cctype>
#include <ctime>

#include "acme/json_util.hpp"

namespace ck::acme {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 4;
constexpr size_t kMaxSubproblems = 100;

std::string StringMember(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Problem FromJson(const json& j, int depth) {
  Problem p;
  p.type = StringMember(j, "type");
  if (p.type.empty()) p.type = "about:blank";
  p.title = StringMember(j, "title");
  p.detail = StringMember(j, "detail");
  p.instance = StringMember(j, "instance");
  if (auto it = j.find("status"); it != j.end() && it->is_number_integer()) {
    auto v = it->get<int64_t>();
    if (v >= 0 && v < 1000) p.status = static_cast<int>(v);
  }
  if (auto it = j.find("identifier"); it != j.end() && it->is_object()) {
    Identifier id{StringMember(*it, "type"), StringMember(*it, "value")};
    if (!id.type.empty() || !id.value.empty()) p.identifier = id;
  }
  if (depth < kMaxDepth) {
    if (auto it = j.find("subproblems"); it != j.end() && it->is_array()) {
      for (const auto& sub : *it) {
        if (p.subproblems.size() >= kMaxSubproblems) break;
        if (sub.is_object()) p.subproblems.push_back(FromJson(sub, depth + 1));
      }
    }
  }
  return p;
}

StatusCode CodeForHttp(int http_status) {
  if (http_status >= 500) return StatusCode::kUnavailable;
  if (http_status == 429) return StatusCode::kResourceExhausted;
  if (http_status == 404) return StatusCode::kNotFound;
  if (http_status == 401 || http_status == 403) return StatusCode::kPermissionDenied;
  if (http_status == 409) return StatusCode::kFailedPrecondition;
  return StatusCode::kInvalidArgument;
}

}  // namespace

std::string Problem::ShortType() const {
  if (type.rfind(kAcmeErrorPrefix, 0) == 0) return type.substr(kAcmeErrorPrefix.size());
  return type;
}

std::string Problem::Describe() const {
  std::string out = ShortType();
  if (!detail.empty())
    out += ": " + detail;
  else if (!title.empty())
    out += ": " + title;
  for (const auto& sub : subproblems) {
    out += " (";
    if (sub.identifier) out += sub.identifier->value + ": ";
    out += sub.Describe() + ")";
  }
  return out;
}

Result<Problem> ParseProblem(std::string_view body) {
  json j = ParseBoundedJson(body);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("problem document is not a JSON object");
  }
  return FromJson(j, 0);
}

Status ProblemToStatus(const Problem& problem, int http_status,
                       std::optional<TimePoint> retry_after) {
  const std::string t = problem.ShortType();
  const bool acme = problem.type.rfind(kAcmeErrorPrefix, 0) == 0;
  StatusCode code = CodeForHttp(http_status != 0 ? http_status : problem.status);
  std::string message = "ACME server: " + problem.Describe();
  if (acme) {
    if (t == "badNonce" || t == "serverInternal") {
      code = StatusCode::kUnavailable;
    } else if (t == "rateLimited") {
      code = StatusCode::kResourceExhausted;
      if (retry_after) message += "; retry at " + FormatRfc3339(*retry_after);
    } else if (t == "accountDoesNotExist") {
      code = StatusCode::kNotFound;
    } else if (t == "alreadyRevoked" || t == "alreadyReplaced") {
      code = StatusCode::kAlreadyExists;
    } else if (t == "unauthorized" || t == "caa" || t == "rejectedIdentifier") {
      code = StatusCode::kPermissionDenied;
    } else if (t == "malformed" || t == "badCSR" || t == "badPublicKey" ||
               t == "badRevocationReason" || t == "badSignatureAlgorithm" ||
               t == "invalidContact" || t == "unsupportedContact" || t == "unsupportedIdentifier" ||
               t == "invalidProfile") {
      code = StatusCode::kInvalidArgument;
    } else if (t == "userActionRequired") {
      // RFC 8555 §7.3.3: the "instance" URL is the page (e.g. new terms) a human must visit.
      code = StatusCode::kFailedPrecondition;
      if (!problem.instance.empty()) message += "; visit " + problem.instance;
    } else if (t == "connection" || t == "dns" || t == "incorrectResponse" || t == "tls" ||
               t == "orderNotReady" || t == "externalAccountRequired" || t == "compound") {
      code = StatusCode::kFailedPrecondition;
    }
  }
  Status s(code, std::move(message));
  s.set_problem_type(problem.type);
  if (retry_after) s.set_retry_after(*retry_after);
  return s;
}

std::optional<TimePoint> ParseRetryAfter(std::string_view value, TimePoint now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  bool digits = true;
  for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    if (value.size() > 9) return std::nullopt;  // absurd; refuse rather than overflow
    int64_t secs = std::stoll(std::string(value));
    return now + std::chrono::seconds(secs);
  }
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7).
  std::tm tm{};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  // A date a century or more away is as absurd as a 10-digit delay, and outside 1677-2262 it
  // would overflow the nanosecond TimePoint (found by fuzz_acme_json): refuse it like the
  // delay above.
  const int64_t now_secs =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  constexpr int64_t kMaxDistanceSecs = int64_t{100} * 366 * 24 * 3600;
  const int64_t secs = static_cast<int64_t>(t);
  if (secs > now_secs + kMaxDistanceSecs || secs < now_secs - kMaxDistanceSecs) {
    return std::nullopt;
  }
  return FromUnixSeconds(static_cast<int64_t>(t));
}

}  // namespace ck::acme
