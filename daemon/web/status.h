#pragma once

// StatusModel: what GET /api/v1/status (JSON) and GET / (HTML) show (CONTRACT §6): build and
// config summary (secrets redacted by DescribeConfig), every channel with members, clients, stale
// flag and last success, every webhook with its backlog and last error, and the last 100 events.
// The poll loop publishes channels and events into it after each committed cycle; webhook rows are
// pulled from `webhooks` (the state store) when a page is rendered.
//
// Thread-safe: publishers and renderers may run on any thread.

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "config/config.h"
#include "presence/event.h"
#include "state/state_store.h"

namespace presenced {

struct ChannelStatus {
  std::string name;
  uint64_t members = 0;
  uint64_t clients = 0;
  bool stale = false;
  int64_t last_success_ms = 0;  // 0 = never
};

struct WebhookStatus {
  std::string name;
  uint64_t pending = 0;
  double oldest_age_seconds = 0;
  uint64_t dead_letters = 0;
  std::string last_error;  // of the batch in flight, "" when none failed
};

class StatusModel {
 public:
  static constexpr size_t kRecentEvents = 100;
  static constexpr size_t kChannelsPerPage = 100;

  explicit StatusModel(std::function<std::vector<WebhookStatus>()> webhooks)
      : webhooks_(std::move(webhooks)) {}

  // Sets the build line and the config summary (after start and every reload).
  void SetSummary(std::string build, std::string config);
  // Replaces the channel list (sorted by name by the caller or not; rendering sorts).
  void PublishChannels(std::vector<ChannelStatus> channels);
  // Appends committed events, keeping the last kRecentEvents.
  void AddEvents(const std::vector<Event>& events);

  // Returns the JSON document of GET /api/v1/status: every channel, not paged, so that one
  // answer is one consistent picture (about 90 bytes a channel).
  std::string Json(int64_t now_ms) const;
  // Returns the HTML page of GET /: totals, the first kChannelsPerPage stale channels, channels
  // paged kChannelsPerPage at a time (`page` from 1; past the last page: the last page, saying
  // so), webhooks and recent events. Its size does not grow with the channel count. No JavaScript.
  std::string Html(size_t page, int64_t now_ms) const;

 private:
  std::function<std::vector<WebhookStatus>()> webhooks_;
  mutable Mutex mu_;
  std::string build_ GUARDED_BY(mu_);
  std::string config_ GUARDED_BY(mu_);
  std::vector<ChannelStatus> channels_ GUARDED_BY(mu_);  // sorted by name
  std::deque<Event> events_ GUARDED_BY(mu_);             // oldest first
};

// Reads each webhook's backlog and the last error of its batch in flight from the store (a
// webhook whose rows cannot be read shows the store's error as its last error).
std::vector<WebhookStatus> ReadWebhookStatus(StateStore& store,
                                             const std::vector<WebhookConfig>& webhooks,
                                             int64_t now_ms);

}  // namespace presenced
