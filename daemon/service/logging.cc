#include "service/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "common/log_fields.h"
#include "presence/event.h"

namespace presenced {

namespace {

// %j: the log message as a JSON string literal (quotes included), for log.format json.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string quoted;
    AppendJsonString(quoted, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

// %F: the thread's LogFields as `,"key":value` members, outermost first (an inner field of the
// same key wins).
class JsonFieldsFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::vector<LogField>& fields = LogFields::Current();
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) {
      const LogField& field = fields[i];
      const auto same_key = [&](const LogField& other) { return other.key == field.key; };
      if (field.key == "time" || field.key == "level" || field.key == "msg" ||
          std::any_of(fields.begin() + static_cast<std::ptrdiff_t>(i) + 1, fields.end(),
                      same_key)) {
        continue;  // the line's own keys, or a key an inner scope sets again
      }
      out.push_back(',');
      AppendJsonString(out, field.key);
      out.push_back(':');
      if (field.number) {
        out += field.value;
      } else {
        AppendJsonString(out, field.value);
      }
    }
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonFieldsFlag>();
  }
};

// %P: the line's syslog priority as journald reads it at the start of a line ("<4>").
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string prefix = "<" + std::to_string(SyslogPriority(msg.level)) + ">";
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

}  // namespace

int SyslogPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;  // LOG_CRIT
    case spdlog::level::err:
      return 3;  // LOG_ERR
    case spdlog::level::warn:
      return 4;  // LOG_WARNING
    case spdlog::level::info:
      return 6;  // LOG_INFO
    default:
      return 7;  // LOG_DEBUG (debug, trace)
  }
}

bool StderrIsJournal(const char* journal_stream) {
  if (journal_stream == nullptr) return false;
  const std::string_view text(journal_stream);
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long device = 0, inode = 0;
  const auto dev = std::from_chars(text.data(), text.data() + colon, device);
  const auto ino = std::from_chars(text.data() + colon + 1, text.data() + text.size(), inode);
  if (dev.ec != std::errc() || dev.ptr != text.data() + colon || ino.ec != std::errc() ||
      ino.ptr != text.data() + text.size()) {
    return false;
  }
  struct stat stderr_stat {};
  if (::fstat(STDERR_FILENO, &stderr_stat) != 0) return false;
  return static_cast<unsigned long long>(stderr_stat.st_dev) == device &&
         static_cast<unsigned long long>(stderr_stat.st_ino) == inode;
}

std::string LogPattern(const LogConfig& log, bool journal) {
  const bool json = log.format == "json";
  if (journal) {
    // journald stamps every line itself and reads the priority from the prefix.
    return json ? R"(%P{"level":"%l","msg":%j%F})" : "%P%l %v";
  }
  return json ? R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":%j%F})"
              : "%Y-%m-%dT%H:%M:%S.%e %l %v";
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(const LogConfig& log, bool journal) {
  const bool json = log.format == "json";
  auto formatter = std::make_unique<spdlog::pattern_formatter>(
      json ? spdlog::pattern_time_type::utc : spdlog::pattern_time_type::local);
  formatter->add_flag<JsonMessageFlag>('j');
  formatter->add_flag<JsonFieldsFlag>('F');
  formatter->add_flag<PriorityFlag>('P');
  formatter->set_pattern(LogPattern(log, journal));
  return formatter;
}

void SetupLogging(const LogConfig& log) {
  auto logger = spdlog::get("presenced");
  if (!logger) {
    logger = spdlog::stderr_logger_mt("presenced");
    spdlog::set_default_logger(logger);
  }
  logger->set_formatter(MakeLogFormatter(log, StderrIsJournal(std::getenv("JOURNAL_STREAM"))));
  logger->set_level(spdlog::level::from_str(log.level));
  logger->flush_on(spdlog::level::trace);
}

}  // namespace presenced
