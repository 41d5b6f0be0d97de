#include "ably/capability_advice.h"

#include <spdlog/spdlog.h>

namespace presenced {

const char* OperationName(AblyOperation operation) {
  switch (operation) {
    case AblyOperation::kSubscribe:
      return "subscribe";
    case AblyOperation::kHistory:
      return "history";
    case AblyOperation::kChannelMetadata:
      return "channel-metadata";
  }
  return "?";
}

std::string CapabilityAdvice(AblyOperation operation, const std::string& resource,
                             const AblyError& error) {
  const std::string ably = " (Ably " + std::to_string(error.code) + ": " + error.message + ")";
  switch (operation) {
    case AblyOperation::kSubscribe:
      return "missing capability `subscribe` on channel " + resource +
             ": reading a channel's presence needs `subscribe` (`presence` only lets a client "
             "enter, update and leave); grant it on this channel, e.g. {\"" +
             resource + "\":[\"subscribe\"]}, or on \"*\"" + ably;
    case AblyOperation::kHistory:
      return "missing capability `history` on channel " + resource +
             ": presence.mode history reads presence history, which needs `history`; grant it, "
             "e.g. {\"" +
             resource + "\":[\"subscribe\",\"history\"]}, or on \"*\"" + ably;
    case AblyOperation::kChannelMetadata:
      return "missing capability `channel-metadata` on the resource \"*\": discovery (prefix " +
             resource +
             ") enumerates channels, which needs `channel-metadata` on \"*\" itself, not on a "
             "prefix; grant {\"*\":[\"channel-metadata\"]}" +
             ably;
  }
  return "missing capability" + ably;
}

void CapabilityNotices::Note(AblyOperation operation, const std::string& resource,
                             const std::string& text) {
  {
    MutexLock lock(mu_);
    if (!noted_.emplace(static_cast<int>(operation), resource).second) return;
  }
  spdlog::warn("Ably: {}", text);
}

}  // namespace presenced
