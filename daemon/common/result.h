#pragma once

// Result<T>: a value or an Error, the return type of every operation that can fail at run time.
// Exceptions thrown by third-party libraries (Poco, yaml-cpp, simdjson, prometheus-cpp) are caught
// at the module edge and turned into an Error.

#include <string>
#include <utility>
#include <variant>

namespace presenced {

// Error describes one failure. `message` is for humans and never contains secrets.
struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status is a Result without a value.
struct Ok {};
using Status = Result<Ok>;

}  // namespace presenced
