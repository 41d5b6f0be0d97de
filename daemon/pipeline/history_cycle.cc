#include "pipeline/history_cycle.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "common/mutex.h"
#include "config/presence_options.h"
#include "presence/channel_events.h"
#include "presence/diff.h"
#include "presence/history_apply.h"
#include "presence/history_reconcile.h"

namespace presenced {

namespace {

using Consume = std::function<void(size_t index, ChannelChange change)>;

// A snapshot's time bounds are widened by this on Ably's clock: the offset is known to within
// about half a round trip, and Ably's presence set and its timestamps may differ by a moment.
constexpr int64_t kSnapshotMarginMs = 1'000;

// One cycle's plans, and what each phase gave, by channel position.
struct HistoryRun {
  HistoryRun(const std::vector<std::string>& c, const std::vector<HistoryChannelInput>& in,
             const PresenceConfig& conf, int64_t now, int64_t ably)
      : channels(c), inputs(in), config(conf), now_ms(now), ably_start_ms(ably) {}
  const std::vector<std::string>& channels;
  const std::vector<HistoryChannelInput>& inputs;
  const PresenceConfig& config;
  int64_t now_ms;         // this host's (observedAt)
  int64_t ably_start_ms;  // Ably's, as the cycle started
  std::vector<HistoryPlan> plans;
  std::vector<HistoryRequest> requests;
  std::vector<size_t> history_of;     // request position → channel position
  std::vector<char> history_ok;       // one writer per element
  std::vector<char> snapshot_ok;      // one writer per element
  std::vector<ChannelState> removed;  // by each channel's direct snapshot
  std::vector<std::shared_ptr<const PendingReconcile>> taken;  // this cycle's reconciles
  std::vector<AblyError> errors;                               // one writer per element and phase
};

// Returns a channel's change from its member events since `input.state`, with the client and
// channel events they cause: `counting` kSequential for history (events in the order they
// happened), kNet for a snapshot diff.
ChannelChange ToChange(const HistoryChannelInput& input, std::vector<Event> events,
                       ChannelDelta delta, const PresenceConfig& config,
                       ClientCounting counting = ClientCounting::kSequential,
                       const ChannelState* before = nullptr) {
  if (before == nullptr) before = input.state;
  ChannelChange change;
  change.events = std::move(events);
  change.delta = std::move(delta);
  change.clients = AddClientEvents(before, change.events, counting, config.client_events);
  if (config.channel_events) {
    AddChannelEvents(before ? before->member_count() : 0, change.events, counting);
  }
  return change;
}

// Plans every channel: which read history, which take a snapshot.
void Plan(HistoryRun& run) {
  const size_t n = run.channels.size();
  const HistorySettings settings{run.config.reconcile_every, run.config.history_lag.count(),
                                 run.config.history_retention.count()};
  run.plans.resize(n);
  run.history_ok.assign(n, 0);
  run.snapshot_ok.assign(n, 0);
  run.removed.resize(n);
  run.taken.resize(n);
  run.errors.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const HistoryChannelInput& input = run.inputs[i];
    run.plans[i] =
        PlanHistoryCycle(input.track, input.state != nullptr, settings, run.ably_start_ms);
    if (run.plans[i].read_history) {
      run.requests.push_back({run.channels[i], input.track.cursor_ms, run.plans[i].end_ms,
                              run.config.history_retention.count()});
      run.history_of.push_back(i);
    }
  }
}

// Reconciles of channel i that history has now been read past.
std::vector<const PendingReconcile*> Due(const HistoryRun& run, size_t i) {
  std::vector<const PendingReconcile*> due;
  for (const auto& pending : run.inputs[i].track.pending) {
    if (pending->to_ms <= run.plans[i].end_ms) due.push_back(pending.get());
  }
  return due;
}

// Reads and applies history (with the reconciles it now covers), and consumes each channel that
// read it. A read not sent because its window had left the retention becomes a direct snapshot.
std::map<Action, uint64_t> ReadHistory(HistoryRun& run, PresenceSource& source,
                                       const std::atomic<bool>& cancel, const Consume& consume,
                                       size_t& compared) {
  Mutex mu;
  std::map<Action, uint64_t> corrections;
  source.StreamHistory(run.requests, cancel, [&](size_t position, const ChannelHistory& history) {
    const size_t i = run.history_of[position];
    if (history.out_of_retention) {
      run.plans[i].read_history = false;
      run.plans[i].snapshot = run.plans[i].direct = true;
      return;
    }
    if (!history.ok) {
      run.errors[i] = history.error;
      return;
    }
    const HistoryChannelInput& input = run.inputs[i];
    // Before the comparisons: what this read applies inside a later-compared snapshot's bounds.
    NoteHistoryInWindows(history.messages, input.track.pending);
    const std::vector<const PendingReconcile*> due = Due(run, i);
    HistoryReconcileResult result = ApplyHistoryWithReconciles(
        run.channels[i], *input.state, history.messages, due, DiffOptionsFrom(run.config, false),
        run.now_ms, input.track.tombstones);
    if (!due.empty()) {
      MutexLock lock(mu);
      compared += due.size();
      for (const auto& [action, count] : result.corrections) corrections[action] += count;
    }
    run.history_ok[i] = 1;
    consume(i, ToChange(input, std::move(result.events), std::move(result.delta), run.config));
  });
  return corrections;
}

// A first snapshot, or one after a gap: diffed against the state at once. Members it removes
// become tombstones, so history read over the same moments does not bring them back.
ChannelChange CompareDirect(HistoryRun& run, size_t i, const ChannelPresence& got,
                            std::map<Action, uint64_t>& corrections) {
  const HistoryChannelInput& input = run.inputs[i];
  static const ChannelState kInactive;
  const ChannelState* before = input.state;
  if (before == nullptr && input.announce) before = &kInactive;
  DiffOptions options = DiffOptionsFrom(run.config, input.first_snapshot_present);
  options.build_next = false;
  DiffResult diff = Diff(run.channels[i], before, got.members, options, run.now_ms);
  if (before != nullptr) {
    diff.delta.removals.ForEach([&](const MemberView& gone) {
      if (auto last = FindMember(*before, gone.client_id, gone.connection_id)) {
        run.removed[i].Append(*last);
      }
    });
  }
  if (input.state != nullptr) {
    for (const Event& event : diff.events) ++corrections[event.action];
  }
  return ToChange(input, std::move(diff.events), std::move(diff.delta), run.config,
                  ClientCounting::kNet, before);
}

// Takes the planned snapshots: direct ones (and reconciles of channels whose history read failed)
// are compared at once, reconciles wait for history.
std::map<Action, uint64_t> TakeSnapshots(HistoryRun& run, PresenceSource& source,
                                         const std::function<int64_t()>& ably_now,
                                         const std::atomic<bool>& cancel, const Consume& consume) {
  std::vector<std::string> names;
  std::vector<size_t> of;  // snapshot position → channel position
  for (size_t i = 0; i < run.channels.size(); ++i) {
    if (!run.plans[i].snapshot) continue;
    names.push_back(run.channels[i]);
    of.push_back(i);
  }
  Mutex mu;
  std::map<Action, uint64_t> corrections;
  const int64_t from_ms = ably_now() - kSnapshotMarginMs;
  source.StreamPresence(names, cancel, [&](size_t position, const ChannelPresence& got) {
    const size_t i = of[position];
    if (!got.ok) {
      run.errors[i] = got.error;
      return;
    }
    run.snapshot_ok[i] = 1;
    // A reconcile of a channel whose history read failed this cycle cannot wait for history to
    // be read past it (it may keep failing: a hostile or broken page): compared at once, as a
    // direct snapshot, while the window is read again next cycle.
    if (run.plans[i].direct || (run.plans[i].read_history && !run.history_ok[i])) {
      std::map<Action, uint64_t> found;
      ChannelChange change = CompareDirect(run, i, got, found);
      {
        MutexLock lock(mu);
        for (const auto& [action, count] : found) corrections[action] += count;
      }
      consume(i, std::move(change));
      return;
    }
    auto pending = std::make_shared<PendingReconcile>();
    pending->members = SnapshotState(run.channels[i], got.members);
    pending->from_ms = from_ms;
    pending->to_ms = ably_now() + kSnapshotMarginMs;
    run.taken[i] = std::move(pending);
    // Fetched and nothing to change yet; a channel whose history read failed stays failed.
    if (!run.plans[i].read_history) {
      consume(i, ChannelChange{});
    }
  });
  return corrections;
}

// The track of channel i after the cycle, its reconciles included.
HistoryTrack NextTrack(const HistoryRun& run, size_t i) {
  const HistoryTrack& track = run.inputs[i].track;
  const HistoryPlan& plan = run.plans[i];
  HistoryTrack next =
      AdvanceHistoryTrack(track, plan, run.history_ok[i] != 0, run.snapshot_ok[i] != 0,
                          run.removed[i], run.ably_start_ms);
  if (plan.read_history && run.history_ok[i]) {  // compared: no longer pending
    std::erase_if(next.pending, [&](const auto& p) { return p->to_ms <= plan.end_ms; });
  }
  if (run.taken[i]) next.pending.push_back(run.taken[i]);
  return next;
}

}  // namespace

HistoryCycleResult RunHistoryCycle(PresenceSource& source, const std::vector<std::string>& channels,
                                   const std::vector<HistoryChannelInput>& inputs,
                                   const PresenceConfig& config, int64_t now_ms,
                                   const std::function<int64_t()>& ably_now,
                                   const std::atomic<bool>& cancel, const Consume& consume) {
  HistoryRun run(channels, inputs, config, now_ms, ably_now());
  Plan(run);
  HistoryCycleResult result;
  result.corrections = ReadHistory(run, source, cancel, consume, result.compared);
  if (cancel) return {};
  for (const auto& [action, count] : TakeSnapshots(run, source, ably_now, cancel, consume)) {
    result.corrections[action] += count;
  }
  if (cancel) return {};
  result.tracks.resize(channels.size());
  result.idle.assign(channels.size(), 0);
  for (size_t i = 0; i < channels.size(); ++i) {
    result.tracks[i] = NextTrack(run, i);
    result.idle[i] = !run.plans[i].read_history && !run.plans[i].snapshot;
  }
  result.errors = std::move(run.errors);
  return result;
}

}  // namespace presenced
