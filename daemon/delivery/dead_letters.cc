#include "delivery/dead_letters.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>

#include "delivery/router.h"
#include "presence/channel_delta.h"

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

Result<uint64_t> ReplayDeadLetters(StateStore& store, const std::string& sink) {
  return store.ReplayDeadLetters(sink);
}

Result<uint64_t> QueueStoredSyncs(StateStore& store, const SinkRoute& sink, int64_t now_ms) {
  std::vector<StateStore::OutboxEntry> syncs;
  Status visited = store.VisitSnapshots([&](const StateStore::StoredSnapshotView& snapshot) {
    if (!MatchesAnyGlob(sink.channels, snapshot.channel)) return;
    Result<ChannelState> state = RestoreState(snapshot.encoded, snapshot.deltas);
    if (!state.ok()) return;  // unreadable: the daemon starts it again as a baseline
    syncs.push_back({sink.name, SyncEvent(sink.name, snapshot.channel, state->Encode(), now_ms)});
  });
  if (!visited.ok()) return visited.error();
  if (syncs.empty()) return uint64_t{0};
  if (Status s = store.CommitCycle({}, {}, syncs); !s.ok()) return s.error();
  return static_cast<uint64_t>(syncs.size());
}

}  // namespace presenced
