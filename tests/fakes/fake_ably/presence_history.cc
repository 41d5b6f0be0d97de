#include "fake_ably/presence_history.h"

#include <algorithm>

namespace presenced::testing {

void PresenceHistory::Prune(std::deque<HistoryMessage>& messages, int64_t now_ms) const {
  while (!messages.empty() && messages.front().timestamp_ms < now_ms - retention_.count()) {
    messages.pop_front();
  }
}

void PresenceHistory::Record(const std::string& channel, HistoryMessage message, int64_t now_ms) {
  auto& messages = channels_[channel];
  Prune(messages, now_ms);
  message.seq = next_seq_++;
  ++recorded_[message.action];
  messages.push_back(std::move(message));
}

HistoryPage PresenceHistory::Query(const std::string& channel, int64_t start_ms, int64_t end_ms,
                                   bool forwards, size_t limit, uint64_t cursor, int64_t now_ms) {
  HistoryPage page;
  auto it = channels_.find(channel);
  if (it == channels_.end()) return page;
  Prune(it->second, now_ms);
  auto wanted = [&](const HistoryMessage& m) {
    return m.timestamp_ms >= start_ms && m.timestamp_ms <= end_ms;
  };
  auto take = [&](const HistoryMessage& m) {
    if (!wanted(m)) return true;
    if (page.messages.size() == limit) {
      page.more = true;
      page.next_cursor = m.seq;
      return false;
    }
    page.messages.push_back(&m);
    return true;
  };
  const auto& messages = it->second;
  if (forwards) {
    for (const HistoryMessage& m : messages) {
      if (cursor != 0 && m.seq < cursor) continue;
      if (!take(m)) break;
    }
  } else {
    for (auto m = messages.rbegin(); m != messages.rend(); ++m) {
      if (cursor != 0 && m->seq > cursor) continue;
      if (!take(*m)) break;
    }
  }
  return page;
}

uint64_t PresenceHistory::recorded(int action) const {
  auto it = recorded_.find(action);
  return it == recorded_.end() ? 0 : it->second;
}

void PresenceHistory::Clear() {
  channels_.clear();
  recorded_.clear();
}

}  // namespace presenced::testing
