#include "pipeline/history_cycle.h"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "config/presence_options.h"
#include "presence/diff.h"
#include "presence/history_apply.h"

namespace presenced {

namespace {

// History applied to one channel, held between the two phases when a snapshot follows.
struct Applied {
  bool ok = false;
  std::vector<Event> events;
  ChannelDelta delta;
};

ChannelChange FromHistory(const HistoryChannelInput& input, Applied applied, bool client_events) {
  ChannelChange change;
  change.events = std::move(applied.events);
  change.delta = std::move(applied.delta);
  change.clients =
      AddClientEvents(input.state, change.events, ClientCounting::kSequential, client_events);
  return change;
}

}  // namespace

HistoryCycleResult RunHistoryCycle(
    PresenceSource& source, const std::vector<std::string>& channels,
    const std::vector<HistoryChannelInput>& inputs, const PresenceConfig& config, int64_t now_ms,
    const std::atomic<bool>& cancel,
    const std::function<void(size_t index, ChannelChange change)>& consume) {
  std::vector<HistoryPlan> plans(channels.size());
  std::vector<HistoryRequest> requests;
  std::vector<size_t> history_of;  // request position → channel position
  std::vector<std::string> snapshot_names;
  std::vector<size_t> snapshot_of;  // snapshot position → channel position
  for (size_t i = 0; i < channels.size(); ++i) {
    plans[i] = PlanHistoryCycle(inputs[i].track, inputs[i].state != nullptr, config.reconcile_every,
                                now_ms);
    if (plans[i].read_history) {
      requests.push_back({channels[i], inputs[i].track.cursor_ms, plans[i].end_ms});
      history_of.push_back(i);
    }
    if (plans[i].snapshot) {
      snapshot_names.push_back(channels[i]);
      snapshot_of.push_back(i);
    }
  }

  std::vector<Applied> applied(channels.size());
  std::vector<ChannelState> removed(channels.size());  // by each channel's reconcile
  std::vector<char> snapshot_ok(channels.size(), 0);   // one writer per element
  source.StreamHistory(requests, cancel, [&](size_t position, const ChannelHistory& history) {
    const size_t i = history_of[position];
    if (!history.ok) return;
    HistoryApplyResult result = ApplyHistory(channels[i], *inputs[i].state, history.messages,
                                             config.update_on, now_ms, inputs[i].track.tombstones);
    Applied done{true, std::move(result.events), std::move(result.delta)};
    if (plans[i].snapshot) {
      applied[i] = std::move(done);  // the reconcile below continues from it
    } else {
      applied[i].ok = true;
      consume(i, FromHistory(inputs[i], std::move(done), config.client_events));
    }
  });
  if (cancel) return {};

  std::mutex corrections_mu;  // guards result.corrections
  HistoryCycleResult result;
  source.StreamPresence(snapshot_names, cancel, [&](size_t position, const ChannelPresence& got) {
    const size_t i = snapshot_of[position];
    const HistoryChannelInput& input = inputs[i];
    if (!got.ok) {
      if (applied[i].ok)
        consume(i, FromHistory(input, std::move(applied[i]), config.client_events));
      return;
    }
    snapshot_ok[i] = 1;
    // The reconcile diffs the snapshot against the state history has built so far.
    static const ChannelState kInactive;
    std::optional<ChannelState> built;
    if (applied[i].ok && !applied[i].delta.empty()) built = Apply(*input.state, applied[i].delta);
    const ChannelState* before = built ? &*built : input.state;
    if (before == nullptr && input.announce) before = &kInactive;
    DiffOptions options = DiffOptionsFrom(config, input.first_snapshot_present);
    options.build_next = false;
    DiffResult diff = Diff(channels[i], before, got.members, options, now_ms);
    if (before != nullptr) {
      diff.delta.removals.ForEach([&](const MemberView& gone) {
        if (auto last = FindMember(*before, gone.client_id, gone.connection_id)) {
          removed[i].Append(*last);
        }
      });
    }
    if (input.state != nullptr && !diff.events.empty()) {
      std::lock_guard lock(corrections_mu);
      for (const Event& event : diff.events) ++result.corrections[event.action];
    }
    ChannelChange change = FromHistory(input, std::move(applied[i]), config.client_events);
    ClientChanges corrected =
        AddClientEvents(before, diff.events, ClientCounting::kNet, config.client_events);
    std::move(diff.events.begin(), diff.events.end(), std::back_inserter(change.events));
    std::move(corrected.online.begin(), corrected.online.end(),
              std::back_inserter(change.clients.online));
    std::move(corrected.offline.begin(), corrected.offline.end(),
              std::back_inserter(change.clients.offline));
    change.delta = Combine(change.delta, diff.delta);
    consume(i, std::move(change));
  });
  if (cancel) return {};

  result.tracks.resize(channels.size());
  for (size_t i = 0; i < channels.size(); ++i) {
    result.tracks[i] = AdvanceHistoryTrack(inputs[i].track, plans[i], applied[i].ok,
                                           snapshot_ok[i] != 0, removed[i], now_ms);
  }
  return result;
}

}  // namespace presenced
