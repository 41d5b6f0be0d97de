#pragma once

// PresenceHistory: the fake's record of presence messages per channel, as Ably keeps it for
// GET /channels/{name}/presence/history (CONTRACT §1 "Presence history"): every enter (2), leave
// (3) and update (4) with the id the member then shows in snapshots and Ably's timestamp, kept for
// a retention window (2 minutes by default, like Ably without persistence) and then gone.
//
// Thread-compatible: FakeAblyState calls it under its own mutex.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace presenced::testing {

struct HistoryMessage {
  uint64_t seq = 0;  // position in the fake's history, across channels (the paging cursor)
  int action = 2;    // 2 enter, 3 leave, 4 update
  std::string client_id, connection_id, id, data_raw, encoding;
  int64_t timestamp_ms = 0;
};

// One page of a history query.
struct HistoryPage {
  std::vector<const HistoryMessage*> messages;  // valid until the history is next changed
  bool more = false;                            // another page follows
  uint64_t next_cursor = 0;                     // its `cursor` when `more`
};

class PresenceHistory {
 public:
  static constexpr std::chrono::milliseconds kDefaultRetention{120'000};

  // Records a message of `channel` at `now_ms`, dropping what is older than the retention.
  void Record(const std::string& channel, HistoryMessage message, int64_t now_ms);
  // Returns up to `limit` messages of `channel` with start ≤ timestamp ≤ end still retained at
  // `now_ms`, oldest first when `forwards`, else newest first, continuing at `cursor` (a seq:
  // forwards from it, backwards down to it; 0 = from the first).
  HistoryPage Query(const std::string& channel, int64_t start_ms, int64_t end_ms, bool forwards,
                    size_t limit, uint64_t cursor, int64_t now_ms);

  void SetRetention(std::chrono::milliseconds retention) { retention_ = retention; }
  std::chrono::milliseconds retention() const { return retention_; }
  // Messages recorded since the start (or Clear), by action, retained or not.
  uint64_t recorded(int action) const;
  void Clear();

 private:
  void Prune(std::deque<HistoryMessage>& messages, int64_t now_ms) const;

  std::map<std::string, std::deque<HistoryMessage>> channels_;
  std::chrono::milliseconds retention_ = kDefaultRetention;
  uint64_t next_seq_ = 1;
  std::map<int, uint64_t> recorded_;
};

}  // namespace presenced::testing
