#pragma once

// SyncSchedule: which sinks (webhooks, kafka sinks) get a `sync` of every channel in a cycle
// (CONTRACT §4 `sync`): those whose `sync_every` period is due, and those asked for by
// POST /-/sync. A new sink, or a new period, starts counting when first seen, so a restart or a
// reload does not sync at once.
// A sync counts as sent only once the cycle that carries it has committed (MarkSent).
//
// Thread-safety: Request may be called from any thread (HTTP handlers); Due and MarkSent from the
// poll loop only.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "config/config.h"

namespace presenced {

class SyncSchedule {
 public:
  // Queues a sync of every channel for sink `sink` with the next committed cycle.
  void Request(const std::string& sink);
  // Returns the sinks to sync in a cycle starting at `now_ms`.
  std::set<std::string> Due(const std::vector<SinkRoute>& sinks, int64_t now_ms);
  // Records that the syncs of `sinks` were committed at `now_ms`: their next period starts.
  void MarkSent(const std::set<std::string>& sinks, int64_t now_ms);

 private:
  struct Entry {
    Duration period{0};
    int64_t next_ms = 0;
  };
  std::map<std::string, Entry> periodic_;  // by sink name; poll loop only
  Mutex mu_;
  std::set<std::string> requested_ GUARDED_BY(mu_);
};

}  // namespace presenced
