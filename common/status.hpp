// Status and Result<T>: the one error convention across certkeeper modules.
// Codes follow the abseil canon; Unavailable means "retryable".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ck {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kUnauthenticated,
  kFailedPrecondition,
  kResourceExhausted,
  kAborted,
  kUnavailable,  // transient: the caller may retry
  kDeadlineExceeded,
  kUnimplemented,
  kDataLoss,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // When the failing party told us when to come back (HTTP Retry-After, ACME rateLimited).
  const std::optional<TimePoint>& retry_after() const { return retry_after_; }
  Status& set_retry_after(TimePoint t) & {
    retry_after_ = t;
    return *this;
  }
  Status&& set_retry_after(TimePoint t) && {
    retry_after_ = t;
    return std::move(*this);
  }

  // RFC 7807/9457 problem type URN when the error came from a peer (e.g. ACME).
  const std::string& problem_type() const { return problem_type_; }
  Status& set_problem_type(std::string t) & {
    problem_type_ = std::move(t);
    return *this;
  }
  Status&& set_problem_type(std::string t) && {
    problem_type_ = std::move(t);
    return std::move(*this);
  }

  // Returns a copy whose message is "context: message", keeping code and metadata.
  Status WithContext(std::string_view context) const;

  // "NOT_FOUND: message" — for logs and CLI output.
  std::string ToString() const;

  bool IsRetryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kDeadlineExceeded ||
           code_ == StatusCode::kAborted || code_ == StatusCode::kResourceExhausted;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::optional<TimePoint> retry_after_;
  std::string problem_type_;
};

inline Status OkStatus() { return Status(); }
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status FailedPreconditionError(std::string message);
Status ResourceExhaustedError(std::string message);
Status AbortedError(std::string message);
Status UnavailableError(std::string message);
Status DeadlineExceededError(std::string message);
Status UnimplementedError(std::string message);
Status DataLossError(std::string message);
Status InternalError(std::string message);

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(data_).ok()) {
      data_ = Status(StatusCode::kInternal, "Result constructed from OK status without a value");
    }
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Status> data_;
};

namespace internal {
inline Status AsStatus(Status s) { return s; }
template <typename T>
Status AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace ck

#define CK_CONCAT_INNER(a, b) a##b
#define CK_CONCAT(a, b) CK_CONCAT_INNER(a, b)

// Returns early from the enclosing function when `expr` (a Status or Result) is not OK.
#define RETURN_IF_ERROR(expr)                                   \
  do {                                                          \
    ::ck::Status ck_status_ = ::ck::internal::AsStatus((expr)); \
    if (!ck_status_.ok()) return ck_status_;                    \
  } while (0)

// ASSIGN_OR_RETURN(auto x, MakeX()); — binds the value or returns the Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  CK_ASSIGN_OR_RETURN_IMPL(CK_CONCAT(ck_result_, __LINE__), lhs, expr)
#define CK_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                             \
  if (!result.ok()) return result.status();         \
  lhs = std::move(result).value()
