// Logging (README "Logging"): JSON lines carry the thread's LogFields as keys; under journald
// ($JOURNAL_STREAM names stderr) each line starts with its syslog priority and has no timestamp.

#include "service/logging.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <sstream>

#include "common/log_fields.h"

namespace presenced {
namespace {

// Logs one line through a logger formatted as SetupLogging formats it; returns the line.
std::string Logged(const std::string& format, bool journal,
                   const std::function<void(spdlog::logger&)>& write) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("test", sink);
  logger.set_level(spdlog::level::trace);
  LogConfig config;
  config.format = format;
  logger.set_formatter(MakeLogFormatter(config, journal));
  write(logger);
  return out.str();
}

TEST(LoggingTest, JsonLinesCarryTheFieldsAsKeys) {
  const std::string line = Logged("json", false, [](spdlog::logger& log) {
    const LogFields outer{{"webhook", "main"}, {"code", 40160}};
    const LogFields inner{{"channel", "chat:\"lobby\""}, {"code", 40140}, {"msg", "x"}};
    log.warn("channel {}: fetch failed", "chat:lobby");
  });
  EXPECT_TRUE(std::regex_match(
      line, std::regex(R"(\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z","level":"warning",)"
                       R"("msg":"channel chat:lobby: fetch failed","webhook":"main",)"
                       R"("channel":"chat:\\"lobby\\"","code":40140\}\n)")))
      << line;
  // Once the scopes end, the fields are gone.
  const std::string plain = Logged("json", false, [](spdlog::logger& log) { log.info("hi"); });
  EXPECT_NE(plain.find(R"("msg":"hi"})"), std::string::npos) << plain;
  // Text lines are unchanged by fields.
  const std::string text = Logged("text", false, [](spdlog::logger& log) {
    const LogFields fields{{"channel", "a"}};
    log.info("hello");
  });
  EXPECT_TRUE(std::regex_match(text, std::regex(R"(\d{4}-\d\d-\d\dT[\d:.]+ info hello\n)")))
      << text;
}

TEST(LoggingTest, UnderJournaldLinesStartWithTheirPriorityAndHaveNoTimestamp) {
  auto all = [](spdlog::logger& log) {
    log.critical("c");
    log.error("e");
    log.warn("w");
    log.info("i");
    log.debug("d");
  };
  EXPECT_EQ(Logged("text", true, all),
            "<2>critical c\n<3>error e\n<4>warning w\n<6>info i\n<7>debug d\n");
  EXPECT_EQ(Logged("json", true,
                   [](spdlog::logger& log) {
                     const LogFields fields{{"prefix", "room:"}};
                     log.warn("w");
                   }),
            "<4>{\"level\":\"warning\",\"msg\":\"w\",\"prefix\":\"room:\"}\n");
}

TEST(LoggingTest, JournalStreamMustNameThisStderr) {
  struct stat err {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &err), 0);
  const std::string mine = std::to_string(err.st_dev) + ":" + std::to_string(err.st_ino);
  EXPECT_TRUE(StderrIsJournal(mine.c_str()));
  // Inherited by a child whose stderr was redirected elsewhere: not journald's stream.
  const std::string other = std::to_string(err.st_dev) + ":" + std::to_string(err.st_ino + 1);
  EXPECT_FALSE(StderrIsJournal(other.c_str()));
  EXPECT_FALSE(StderrIsJournal(nullptr));
  EXPECT_FALSE(StderrIsJournal(""));
  EXPECT_FALSE(StderrIsJournal((mine + "x").c_str()));
  EXPECT_FALSE(StderrIsJournal(std::to_string(err.st_dev).c_str()));
}

}  // namespace
}  // namespace presenced
