// Status and Result<T>: errors as values at module boundaries.
//
// Shaped like absl::Status / absl::StatusOr. A Status is either OK or carries a
// code and a one-line message meant for a human (congress staff, an auditor).
// Both types are [[nodiscard]]; ignoring an error on purpose is spelled
// `status.PermitUncheckedError()` so it stays greppable.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace piaojue {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input from the caller
  kNotFound,            // the thing asked for does not exist
  kAlreadyExists,       // a uniqueness rule (nonce, registration) is broken
  kPermissionDenied,    // the author's key is not authorized for this act
  kUnauthenticated,     // a signature does not verify
  kFailedPrecondition,  // a rule of the cycle refuses the act in this state
  kCorruption,          // stored or supplied bytes break the format
  kIOError,             // the storage layer failed
  kUnavailable,         // shutting down, or the ledger is in a failed state
  kOutOfRange,          // an index or size beyond the log
  kInternal,            // a bug: an exception where a Status was expected
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Corruption: entry 12: previous hash mismatch".
  std::string ToString() const;

  void PermitUncheckedError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) {
  return Status(StatusCode::kNotFound, std::move(m));
}
inline Status AlreadyExists(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status PermissionDenied(std::string m) {
  return Status(StatusCode::kPermissionDenied, std::move(m));
}
inline Status Unauthenticated(std::string m) {
  return Status(StatusCode::kUnauthenticated, std::move(m));
}
inline Status FailedPrecondition(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status Corruption(std::string m) {
  return Status(StatusCode::kCorruption, std::move(m));
}
inline Status IOError(std::string m) {
  return Status(StatusCode::kIOError, std::move(m));
}
inline Status Unavailable(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status OutOfRange(std::string m) {
  return Status(StatusCode::kOutOfRange, std::move(m));
}
inline Status Internal(std::string m) {
  return Status(StatusCode::kInternal, std::move(m));
}

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result constructed from an OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace piaojue

#define PIAOJUE_CONCAT_INNER(a, b) a##b
#define PIAOJUE_CONCAT(a, b) PIAOJUE_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                              \
  do {                                                     \
    ::piaojue::Status _status_to_return = (expr);          \
    if (!_status_to_return.ok()) return _status_to_return; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, Foo()); declares x from a Result or returns its
// error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(PIAOJUE_CONCAT(_result_, __LINE__), lhs, expr)
