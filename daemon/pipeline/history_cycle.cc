#include "pipeline/history_cycle.h"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "common/mutex.h"
#include "config/presence_options.h"
#include "presence/channel_events.h"
#include "presence/diff.h"
#include "presence/history_apply.h"

namespace presenced {

namespace {

using Consume = std::function<void(size_t index, ChannelChange change)>;

// History applied to one channel, held between the two phases when a snapshot follows.
struct Applied {
  bool ok = false;
  std::vector<Event> events;
  ChannelDelta delta;
};

// One cycle's plans, and what each phase gave, by channel position.
struct HistoryRun {
  HistoryRun(const std::vector<std::string>& c, const std::vector<HistoryChannelInput>& in,
             const PresenceConfig& conf, int64_t now)
      : channels(c), inputs(in), config(conf), now_ms(now) {}
  const std::vector<std::string>& channels;
  const std::vector<HistoryChannelInput>& inputs;
  const PresenceConfig& config;
  int64_t now_ms;
  std::vector<HistoryPlan> plans;
  std::vector<HistoryRequest> requests;
  std::vector<size_t> history_of;  // request position → channel position
  std::vector<std::string> snapshot_names;
  std::vector<size_t> snapshot_of;  // snapshot position → channel position
  std::vector<Applied> applied;
  std::vector<ChannelState> removed;  // by each channel's reconcile
  std::vector<char> snapshot_ok;      // one writer per element
  std::vector<AblyError> errors;      // one writer per element and phase
};

ChannelChange FromHistory(const HistoryChannelInput& input, Applied applied,
                          const PresenceConfig& config) {
  ChannelChange change;
  change.events = std::move(applied.events);
  change.delta = std::move(applied.delta);
  change.clients = AddClientEvents(input.state, change.events, ClientCounting::kSequential,
                                   config.client_events);
  if (config.channel_events) {
    AddChannelEvents(input.state ? input.state->member_count() : 0, change.events,
                     ClientCounting::kSequential);
  }
  return change;
}

// Plans every channel: which read history, which take a snapshot.
void Plan(HistoryRun& run) {
  const size_t n = run.channels.size();
  run.plans.resize(n);
  run.applied.resize(n);
  run.removed.resize(n);
  run.snapshot_ok.assign(n, 0);
  run.errors.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const HistoryChannelInput& input = run.inputs[i];
    run.plans[i] = PlanHistoryCycle(input.track, input.state != nullptr, run.config.reconcile_every,
                                    run.now_ms);
    if (run.plans[i].read_history) {
      run.requests.push_back({run.channels[i], input.track.cursor_ms, run.plans[i].end_ms});
      run.history_of.push_back(i);
    }
    if (run.plans[i].snapshot) {
      run.snapshot_names.push_back(run.channels[i]);
      run.snapshot_of.push_back(i);
    }
  }
}

// Reads and applies history; a channel with no reconcile to follow is consumed at once.
void ReadHistory(HistoryRun& run, PresenceSource& source, const std::atomic<bool>& cancel,
                 const Consume& consume) {
  source.StreamHistory(run.requests, cancel, [&](size_t position, const ChannelHistory& history) {
    const size_t i = run.history_of[position];
    if (!history.ok) {
      run.errors[i] = history.error;
      return;
    }
    const HistoryChannelInput& input = run.inputs[i];
    HistoryApplyResult result =
        ApplyHistory(run.channels[i], *input.state, history.messages, run.config.update_on,
                     run.now_ms, input.track.tombstones);
    Applied done{true, std::move(result.events), std::move(result.delta)};
    if (run.plans[i].snapshot) {
      run.applied[i] = std::move(done);  // the reconcile continues from it
    } else {
      run.applied[i].ok = true;
      consume(i, FromHistory(input, std::move(done), run.config));
    }
  });
}

// Reconcile events of channels with a state, counted from fetch threads.
struct Corrections {
  Mutex mu;
  std::map<Action, uint64_t> by_action GUARDED_BY(mu);
};

// Diffs channel i's snapshot against the state history has built so far: the history events,
// then what the reconcile corrected.
ChannelChange ReconcileChannel(HistoryRun& run, size_t i, const ChannelPresence& got,
                               Corrections& corrections) {
  const HistoryChannelInput& input = run.inputs[i];
  static const ChannelState kInactive;
  std::optional<ChannelState> built;
  if (run.applied[i].ok && !run.applied[i].delta.empty()) {
    built = Apply(*input.state, run.applied[i].delta);
  }
  const ChannelState* before = built ? &*built : input.state;
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
  if (input.state != nullptr && !diff.events.empty()) {
    MutexLock lock(corrections.mu);
    for (const Event& event : diff.events) ++corrections.by_action[event.action];
  }
  ChannelChange change = FromHistory(input, std::move(run.applied[i]), run.config);
  ClientChanges corrected =
      AddClientEvents(before, diff.events, ClientCounting::kNet, run.config.client_events);
  if (run.config.channel_events) {
    AddChannelEvents(before ? before->member_count() : 0, diff.events, ClientCounting::kNet);
  }
  std::move(diff.events.begin(), diff.events.end(), std::back_inserter(change.events));
  std::move(corrected.online.begin(), corrected.online.end(),
            std::back_inserter(change.clients.online));
  std::move(corrected.offline.begin(), corrected.offline.end(),
            std::back_inserter(change.clients.offline));
  change.delta = Combine(change.delta, diff.delta);
  return change;
}

// Takes the planned snapshots and reconciles each channel with what history gave; returns the
// corrections.
std::map<Action, uint64_t> Reconcile(HistoryRun& run, PresenceSource& source,
                                     const std::atomic<bool>& cancel, const Consume& consume) {
  Corrections corrections;
  source.StreamPresence(
      run.snapshot_names, cancel, [&](size_t position, const ChannelPresence& got) {
        const size_t i = run.snapshot_of[position];
        if (!got.ok) {
          run.errors[i] = got.error;
          if (run.applied[i].ok) {
            consume(i, FromHistory(run.inputs[i], std::move(run.applied[i]), run.config));
          }
          return;
        }
        run.snapshot_ok[i] = 1;
        consume(i, ReconcileChannel(run, i, got, corrections));
      });
  MutexLock lock(corrections.mu);
  return std::move(corrections.by_action);
}

}  // namespace

HistoryCycleResult RunHistoryCycle(PresenceSource& source, const std::vector<std::string>& channels,
                                   const std::vector<HistoryChannelInput>& inputs,
                                   const PresenceConfig& config, int64_t now_ms,
                                   const std::atomic<bool>& cancel, const Consume& consume) {
  HistoryRun run(channels, inputs, config, now_ms);
  Plan(run);
  ReadHistory(run, source, cancel, consume);
  if (cancel) return {};
  HistoryCycleResult result;
  result.corrections = Reconcile(run, source, cancel, consume);
  if (cancel) return {};
  result.errors = std::move(run.errors);
  result.tracks.resize(channels.size());
  for (size_t i = 0; i < channels.size(); ++i) {
    result.tracks[i] = AdvanceHistoryTrack(inputs[i].track, run.plans[i], run.applied[i].ok,
                                           run.snapshot_ok[i] != 0, run.removed[i], now_ms);
  }
  return result;
}

}  // namespace presenced
