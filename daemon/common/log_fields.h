#pragma once

// LogFields: key-value fields for the log lines this thread writes while the object lives
// (channel, webhook, code, ...). With log.format json each becomes a key of the line's object
// next to "msg", so log pipelines can filter on them; text lines are unchanged (the message names
// them already). Scopes nest; an inner field of the same key wins. Thread-compatible: the fields
// are per thread.
//
//   const LogFields fields{{"channel", name}, {"code", error.code}};
//   spdlog::warn("channel {}: fetch failed: {} (code {})", name, error.message, error.code);

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace presenced {

struct LogField {
  LogField(std::string_view key_in, std::string value_in)
      : key(key_in), value(std::move(value_in)) {}
  LogField(std::string_view key_in, const char* value_in) : key(key_in), value(value_in) {}
  template <typename Int, typename = std::enable_if_t<std::is_integral_v<Int>>>
  LogField(std::string_view key_in, Int number_in)
      : key(key_in), value(std::to_string(number_in)), number(true) {}

  std::string key;
  std::string value;
  bool number = false;  // written as a JSON number, else as a string
};

class LogFields {
 public:
  LogFields(std::initializer_list<LogField> fields) : count_(fields.size()) {
    Stack().insert(Stack().end(), fields.begin(), fields.end());
  }
  ~LogFields() {
    Stack().erase(Stack().end() - static_cast<std::ptrdiff_t>(count_), Stack().end());
  }
  LogFields(const LogFields&) = delete;
  LogFields& operator=(const LogFields&) = delete;

  // The fields in force on this thread, outermost first.
  static const std::vector<LogField>& Current() { return Stack(); }

 private:
  static std::vector<LogField>& Stack() {
    thread_local std::vector<LogField> stack;
    return stack;
  }
  size_t count_;
};

}  // namespace presenced
