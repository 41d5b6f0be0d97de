#include "delivery/dead_letters.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

namespace presenced {
namespace {

std::string FormatUtc(int64_t unix_ms) {
  return Poco::DateTimeFormatter::format(Poco::Timestamp(unix_ms * 1000),
                                         Poco::DateTimeFormat::ISO8601_FORMAT);
}

}  // namespace

Result<std::string> DescribeDeadLetters(StateStore& store) {
  Result<std::vector<StateStore::DeadLetterSummary>> summaries = store.DeadLetterSummaries();
  if (!summaries.ok()) return summaries.error();
  if (summaries->empty()) return std::string("no dead letters\n");
  std::string out;
  for (const StateStore::DeadLetterSummary& s : *summaries) {
    out += s.webhook + ": " + std::to_string(s.count) + " events, oldest " +
           FormatUtc(s.oldest_created_ms) + ", last given up " + FormatUtc(s.last_dead_ms) + ": " +
           s.last_error + "\n";
  }
  return out;
}

Result<uint64_t> ReplayDeadLetters(StateStore& store, const std::string& webhook) {
  return store.ReplayDeadLetters(webhook);
}

}  // namespace presenced
