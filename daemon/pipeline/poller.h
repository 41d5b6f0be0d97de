#pragma once

// Poller: runs one poll cycle at a time — fetch every channel, diff each successful snapshot
// against the last one as its response arrives, route the events to webhooks, and commit the
// changes (a delta per changed channel, or a full snapshot when its deltas outgrew it) and the
// outbox in one state-store transaction. Only after the commit succeeds does it adopt the new
// snapshots, print events and update metrics; a failed commit changes nothing, so the next cycle
// re-derives the same events (nothing accepted is lost, nothing is emitted twice).
//
// A channel whose fetch failed keeps its previous snapshot and produces no events (it is counted
// stale until a fetch succeeds): a failed request never turns into false leaves.
//
// With presence.mode: history, each channel reads its presence history since its cursor instead,
// and a full snapshot when history cannot be trusted (history_cycle.h); the cursor is committed
// in the same transaction as the events and state it produced.
//
// Thread-compatible: owned and driven by the service's main loop.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ably/presence_source.h"
#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "pipeline/history_cycle.h"
#include "pipeline/sync_schedule.h"
#include "presence/channel_delta.h"
#include "presence/channel_state.h"
#include "presence/client_directory.h"
#include "presence/client_events.h"
#include "presence/diff.h"
#include "presence/event.h"
#include "presence/packed_events.h"
#include "state/state_store.h"

namespace presenced {

// Receives the events of a committed cycle, in order, one channel's at a time (stdout printer,
// debug log, dispatcher wake-up).
using EventSink = std::function<void(const std::vector<Event>&)>;

// How many channels of a cycle failed with one Ably error code, and the last message seen.
struct ErrorTally {
  size_t count = 0;
  std::string message;
};

struct CycleReport {
  size_t channels = 0;
  size_t failed = 0;
  size_t events = 0;
  size_t members = 0;
  bool committed = false;  // false when the cycle was cancelled or the store refused the commit
  std::map<int, ErrorTally> errors;  // the failed channels by Ably error code (0: no Ably code)
};

// One tracked channel as the status page shows it (Poller::ForEachChannel); valid during the call.
struct ChannelReport {
  std::string_view name;
  size_t members = 0;
  size_t clients = 0;
  bool stale = false;                     // its last fetch failed
  int64_t last_success_ms = 0;            // 0 = never
  int64_t last_error_ms = 0;              // 0 = no failed fetch since the start
  const AblyError* last_error = nullptr;  // the last failed fetch's error, null when none
};

class Poller {
 public:
  Poller(PresenceSource& source, StateStore& store, Metrics& metrics, const Clock& clock,
         EventSink sink);

  // Replaces the presence source (config reload rebuilt the Ably client).
  void SetSource(PresenceSource& source) { source_ = &source; }

  // Loads the stored snapshots (after a restart presenced continues from them).
  Status Restore();

  // Sets the channel list to poll: `configured` plus every discovered channel. Channels no longer
  // configured are dropped without leaves (their snapshot is deleted at the next commit); a
  // channel under one of `prefixes` that disappears from discovery is kept until its last member
  // has left, so its leaves are still seen. A channel `owned` rejects (another shard's) is dropped
  // at once without leaves: its new owner reports it from then on.
  void SetChannels(const std::vector<std::string>& configured,
                   const std::vector<std::string>& discovered,
                   const std::vector<std::string>& prefixes,
                   const std::function<bool(const std::string&)>& owned = {});

  // Marks channels whose first snapshot emits `enter` for every member instead of being a silent
  // baseline: rooms discovery found after its first successful enumeration, which were inactive
  // (empty) before (CONTRACT §1 "Discovered channels"). No effect on a channel that already has
  // a snapshot; the mark stays until its first successful fetch.
  void AnnounceFirstSnapshot(const std::vector<std::string>& channels);

  // Queues a `sync` of every channel for webhook `webhook`, sent with the next committed cycle
  // (POST /-/sync). Thread-safe: called from HTTP threads.
  void RequestSync(const std::string& webhook);

  // Returns the channels the next cycle polls, sorted.
  std::vector<std::string> Channels() const;

  // Runs one cycle with this config snapshot. `cancel` abandons it (nothing committed).
  CycleReport RunCycle(const Config& config, const std::atomic<bool>& cancel);

  size_t stale_count() const { return stale_count_; }
  // Calls `visit` for every tracked channel, by name (the status page).
  void ForEachChannel(const std::function<void(const ChannelReport&)>& visit) const;
  // Members of every channel with a state (a running total: O(1)).
  size_t member_total() const { return member_total_; }

 private:
  struct Tracked {
    std::unique_ptr<ChannelState> state;  // null until the first successful fetch
    int64_t last_success_ms = 0;
    bool discovered = false;  // polled because discovery found it (not configured)
    bool has_series = false;  // has member series labelled with its name
    // Tracked since before the first committed cycle: with `initial_snapshot: present`, its first
    // successful snapshot emits `present` when no snapshot of it was stored (see RunCycle).
    bool initial = false;
    uint64_t snapshot_bytes = 0;  // size of its stored full snapshot
    uint64_t delta_bytes = 0;     // size of the deltas stored after it
    // presence.mode: history (cursor restored from the store), and snapshot mode's tombstones.
    // Held only when not blank (most channels in snapshot mode): history() reads it.
    std::unique_ptr<HistoryTrack> history_track;
    std::unique_ptr<AblyError> last_error;  // of its last failed fetch (committed cycles only)
    int64_t last_error_ms = 0;              // 0 = none since the start
    bool stale = false;                     // its last fetch failed (counted in stale_count_)

    const HistoryTrack& history() const {
      static const HistoryTrack kBlank;
      return history_track ? *history_track : kBlank;
    }
    // Sets the history track (none held when it is blank).
    void SetHistory(HistoryTrack track);
  };
  // Running sums over the channels with one value of Tracked::discovered, kept by Count() as
  // channels change, so that a cycle's metrics cost O(changed channels), not O(channels).
  struct Totals {
    size_t channels = 0;
    // Of the channels with a state and a success (last_success_ms != 0):
    uint64_t members = 0;
    uint64_t clients = 0;
    // (last_success_ms, channels), ascending: a few keys (one per cycle that some channel last
    // succeeded in), so a scan from the newest end finds one in a step or two.
    std::vector<std::pair<int64_t, size_t>> successes;
  };
  // What one successful fetch of a channel gives, held until the cycle commits.
  // Held for every channel of a cycle, most of which change nothing: what only a failed or
  // changed channel has is in `Change`, allocated when there is one (Changes() reads it, empty
  // when there is none). A first snapshot needs none: it is all in `encoded`.
  struct Derived {
    struct Change {
      AblyError error;        // why, when !ok
      ChannelDelta delta;     // applied to the state after the commit (write && !full)
      ClientChanges clients;  // clientIds that came online / went offline (not for a first one)
      ChannelState left;      // presence.mode: snapshot: members it removed, as last seen
    };
    bool ok = false;      // false: the fetch failed (or never came back)
    bool write = false;   // something to store, as `encoded`: a full snapshot or the delta
    bool full = false;    // `encoded` is the whole new state (first snapshot or compaction)
    PackedEvents events;  // packed right after the diff: a burst's millions are held compactly
    std::string encoded;
    std::unique_ptr<Change> change;

    const Change& Changes() const {
      static const Change kNone;
      return change ? *change : kNone;
    }
    Change& MutableChanges() {
      if (!change) change = std::make_unique<Change>();
      return *change;
    }
  };
  // A channel's snapshot is rewritten (compacted) once its deltas would exceed this.
  static constexpr uint64_t kMinCompactionBytes = 16 * 1024;

  // One cycle's work, passed from step to step of RunCycle: what was derived per channel (by
  // position in `names`), then what the commit writes.
  struct Cycle {
    explicit Cycle(const Config& c) : config(c) {}
    const Config& config;
    int64_t now_ms = 0;
    bool history_mode = false;
    std::vector<SinkRoute> routes;  // every sink's filters (webhooks, kafka)
    std::vector<std::string> names;
    // The tracked channels, by position in `names`: channels_ is not modified during a cycle,
    // so the fetch threads may read them (only read: Adopt, after the commit, writes them).
    std::vector<Tracked*> tracked;
    std::vector<Derived> derived;
    HistoryCycleResult history;
    std::set<std::string> syncs;  // sinks synced this cycle
    std::vector<StateStore::OutboxEntry> sync_entries;
    size_t sync_count = 0;  // sync entries in `outbox`
    // What the commit writes:
    std::vector<StateStore::Snapshot> snapshots;
    std::vector<StateStore::Delta> deltas;
    std::vector<StateStore::Cursor> cursors;
    // Every channel's events, one buffer per channel with events, in channel order: moved
    // from what was derived, never copied into one (a burst's millions are held once, packed).
    std::vector<PackedEvents> events;
    StateStore::RoutedEvents routed;              // `events` routed to sinks, by reference
    std::vector<StateStore::OutboxEntry> outbox;  // the syncs, after `routed`
    std::set<std::string> failed;
    std::map<int, ErrorTally> errors;  // the failed channels by Ably error code
  };

  // The steps of RunCycle, in order.
  Cycle BeginCycle(const Config& config);
  // Fetches every channel and derives its changes (on the fetch threads).
  void DeriveChanges(Cycle& cycle, const std::atomic<bool>& cancel);
  // Queues one `sync` per channel fetched this cycle (its state after the cycle) for each due
  // sink whose globs match it. Before CollectWrites, which moves what it reads.
  void QueueSyncs(Cycle& cycle);
  // Moves what was derived into what the commit writes, and routes the events into the outbox.
  void CollectWrites(Cycle& cycle);
  // Writes the cycle in one transaction; false (nothing changed) when the store refused it.
  bool Commit(Cycle& cycle);
  // Applies the committed cycle to memory: states, stale set, distinct clients, sync schedule.
  void Adopt(Cycle& cycle);
  // Updates the metrics of a committed cycle and hands its events to the sink.
  void Publish(const Cycle& cycle);

  static uint64_t CompactionThreshold(const std::string& channel, uint64_t snapshot_bytes);
  // Diffs one fetched channel against its state (against an empty set when `announce` and none
  // is stored), with client and channel events as `presence` asks; runs on fetch threads (reads
  // `tracked` only).
  static Derived DeriveSnapshot(const std::string& channel, const Tracked& tracked,
                                const ChannelPresenceView& result, const DiffOptions& options,
                                int64_t now_ms, bool announce, const PresenceConfig& presence);
  // Turns one channel's changes into what the commit writes (a delta, or the channel in full
  // when it has no snapshot yet or its deltas outgrew it); runs on fetch threads.
  static Derived Pack(const std::string& channel, const Tracked& tracked, ChannelChange change);
  // DeriveChanges in presence.mode: snapshot: each channel is diffed on its fetch thread as soon
  // as its response is parsed; the parsed members go with the response, only the changes stay.
  void DeriveFromSnapshots(Cycle& cycle, const std::atomic<bool>& cancel);
  // DeriveChanges in presence.mode: history (history_cycle.h); also sets the channels' next
  // history tracks and the reconcile corrections, to adopt once committed.
  void DeriveFromHistory(Cycle& cycle, const std::atomic<bool>& cancel);
  // True when channel i had nothing planned this cycle (history mode): not fetched, not failed.
  static bool Idle(const Cycle& cycle, size_t i) {
    return cycle.history_mode && i < cycle.history.idle.size() && cycle.history.idle[i] != 0;
  }
  // Counts (or uncounts) every clientId of `state` in clients_.
  void CountClients(const ChannelState& state, bool add);
  // Adds (or removes) `tracked`'s share of the running totals (totals_, member_total_,
  // occupied_): remove before changing its state, discovered flag or last success, add after.
  void Count(const Tracked& tracked, bool add);
  // Recomputes the running totals from every channel (after Restore).
  void Recount();
  // Sets `tracked.discovered`, moving its share of the totals.
  void SetDiscovered(Tracked& tracked, bool discovered);
  // True when SetChannels' arguments are those of the last call and every channel is tracked
  // because of them (none kept for its leaves): then the call would change nothing.
  bool SameChannels(const std::vector<std::string>& configured,
                    const std::vector<std::string>& discovered,
                    const std::vector<std::string>& prefixes) const;

  // Returns the entry of `name`, adding it (marked `initial` before the first commit) if new.
  Tracked& Track(const std::string& name);
  // Sets the channel's own member series, or removes them when it gets none (MetricsConfig).
  void PublishChannelMetrics(const std::string& channel, Tracked& tracked,
                             const MetricsConfig& config);
  // Sets the channel counts and the unlabelled series of the channels without series of their own.
  void PublishTotals(const MetricsConfig& config);

  PresenceSource* source_;
  StateStore& store_;
  Metrics& metrics_;
  const Clock& clock_;
  EventSink sink_;

  std::map<std::string, Tracked> channels_;
  std::vector<std::string> removed_;  // snapshots to delete at the next commit
  size_t stale_count_ = 0;            // channels with Tracked::stale
  Totals totals_[2];                  // by Tracked::discovered
  size_t member_total_ = 0;           // members of every channel with a state
  size_t occupied_ = 0;               // channels with at least one member
  // SetChannels' last arguments. recheck_channels_: the next SetChannels runs in full even with
  // the same ones (the last one kept a channel only for its leaves, or Restore added channels).
  std::vector<std::string> last_configured_, last_discovered_, last_prefixes_;
  bool recheck_channels_ = true;
  std::set<std::string> announce_;  // see AnnounceFirstSnapshot
  bool first_cycle_ = true;         // no cycle committed yet: channels added now are `initial`
  ClientDirectory clients_;         // distinct clientIds across the tracked channels
  SyncSchedule syncs_;
};

}  // namespace presenced
