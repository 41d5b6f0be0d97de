#include "pipeline/sync_schedule.h"

namespace presenced {

void SyncSchedule::Request(const std::string& webhook) {
  MutexLock lock(mu_);
  requested_.insert(webhook);
}

std::set<std::string> SyncSchedule::Due(const std::vector<SinkRoute>& sinks, int64_t now_ms) {
  std::set<std::string> due;
  {
    MutexLock lock(mu_);
    due = requested_;
  }
  std::map<std::string, Entry> periodic;
  for (const SinkRoute& webhook : sinks) {
    if (webhook.sync_every.count() == 0) continue;
    auto it = periodic_.find(webhook.name);
    Entry entry = it != periodic_.end() ? it->second : Entry{};
    if (entry.period != webhook.sync_every) {
      entry = {webhook.sync_every, now_ms + webhook.sync_every.count()};
    }
    if (entry.next_ms <= now_ms) due.insert(webhook.name);
    periodic[webhook.name] = entry;
  }
  periodic_ = std::move(periodic);
  return due;
}

void SyncSchedule::MarkSent(const std::set<std::string>& webhooks, int64_t now_ms) {
  for (const std::string& webhook : webhooks) {
    if (auto it = periodic_.find(webhook); it != periodic_.end()) {
      it->second.next_ms = now_ms + it->second.period.count();
    }
  }
  MutexLock lock(mu_);
  for (const std::string& webhook : webhooks) requested_.erase(webhook);
}

}  // namespace presenced
