#pragma once

// StateStore: presenced's durable state in `state.dir`/presenced.db (SQLite, WAL mode,
// synchronous=FULL, busy_timeout 5 s). It holds
//   - every tracked channel's members, as a full snapshot (opaque encoded ChannelState bytes)
//     plus the deltas committed since (opaque encoded ChannelDelta bytes, in commit order): a
//     cycle appends one small delta per changed channel instead of rewriting the channel, and
//     the poller replaces a channel's snapshot and deltas by a new full snapshot (compaction)
//     once its deltas outgrow it,
//   - per channel, the presence history cursor (presence.mode: history): the time up to which
//     the snapshot reflects history, committed with the snapshot and the events it produced,
//   - the webhook outbox: every routed event not yet acknowledged, in order (seq),
//   - per webhook at most one batch in flight (its events are marked in the outbox, and its id,
//     attempts and first attempt time are persisted so a restart re-sends the same batch with the
//     same webhook-id),
//   - dead letters: events of batches given up on, with the last error, until replayed.
//
// synchronous=FULL rather than NORMAL: in WAL mode NORMAL can lose the last commits on power
// loss or an OS crash, and the outbox promises that an event written with its snapshot is never
// lost. The delivery side may ask for less (Sync::kDeferred, group commit): its batch and
// acknowledgement transactions are written to the WAL (they survive a crash of the process) but
// not fsynced; the next fsync (a durable commit, or SyncDeferred) makes them durable with every
// transaction before it. Losing such a tail in a power loss only means its batches are sent
// again (at-least-once, same ids): the WAL is replayed up to its last synced commit, a prefix of
// the transactions, so an event is never lost and never out of order.
//
// Sequence numbers are AUTOINCREMENT and never reused; dead letters keep theirs, so a replay puts
// them back ahead of every newer pending event.
//
// Backlog counts (pending and dead-lettered events per webhook) are kept in memory: counted once
// at Open, then updated by the transactions that change them, so GetBacklog never scans the
// outbox (a dead receiver's backlog can reach tens of millions of rows, and a scan would hold
// the mutex CommitCycle needs).
//
// Thread-safety: one connection guarded by one mutex; every method may be called from any thread
// and runs as one short critical section (no method waits on the network or scans a table after
// Open). Other processes may read the same file concurrently (the --dead-letters CLI); SQLite's
// locking and busy_timeout serialise them. A writer in another process would make the in-memory
// counts stale, which is why the daemon holds StateDirLock and --replay-dead-letters needs it.
// Errors: every method returns an Error with sqlite's message; a failed write transaction is rolled
// back and leaves nothing behind.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/result.h"
#include "presence/event.h"
#include "presence/packed_events.h"

namespace presenced {

class SqliteDb;

class StateStore {
 public:
  // Creates `dir` if missing and opens (creating/migrating) dir/presenced.db.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& dir);
  // Checks that the database file is still the one opened (same device and inode): an error
  // says whether it was deleted or replaced, since writes would then go to a file nobody sees.
  Status CheckFile() const;
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  struct Snapshot {
    std::string channel;
    std::string encoded;  // encoded ChannelState, opaque here
  };
  // A channel's full snapshot and the deltas committed after it, oldest first.
  struct StoredSnapshot {
    std::string channel;
    std::string encoded;
    std::vector<std::string> deltas;  // encoded ChannelDelta, opaque here
    int64_t history_cursor_ms = 0;    // 0 when none is stored
    std::string history_tombstones;   // opaque here
  };
  // A channel's presence history cursor (ms since the epoch) and what goes with it.
  struct Cursor {
    std::string channel;
    int64_t cursor_ms = 0;
    std::string tombstones;  // opaque bytes
  };
  struct Delta {
    std::string channel;
    std::string encoded;
  };
  struct OutboxEntry {
    std::string webhook;
    Event event;
  };
  // Events routed to sinks without a copy per sink (a burst of millions of events is held once,
  // packed): routes[i] appends event number routes[i].event (counted across `chunks`, in order)
  // to the outbox of sinks[routes[i].sink]. Routes are in event order, so the outbox gets the
  // events in chunk order. The chunks are the caller's and must stay where they are until the
  // commit returns.
  struct RoutedEvents {
    struct Route {  // 8 bytes: a burst routes millions
      uint32_t event = 0;
      uint32_t sink = 0;
    };
    std::vector<std::string> sinks;
    std::vector<const PackedEvents*> chunks;
    std::vector<Route> routes;
  };
  // An outbox event as read back for delivery.
  struct PendingEvent {
    int64_t seq = 0;
    int64_t created_ms = 0;  // the event's observed_at: when presenced saw the change
    Event event;
  };
  // The batch in flight for one webhook.
  struct Batch {
    std::string id;                // webhook-id, stable across retries and restarts
    int64_t created_ms = 0;        // when the batch was formed
    int64_t attempts = 0;          // failed attempts so far
    int64_t first_attempt_ms = 0;  // 0 until the first failed attempt is recorded
    std::string last_error;
    std::vector<PendingEvent> events;  // in seq order
  };
  struct Backlog {
    uint64_t pending = 0;  // events in the outbox, in flight included
    std::optional<int64_t> oldest_created_ms;
    uint64_t dead_letters = 0;
  };
  struct DeadLetterSummary {
    std::string webhook;
    uint64_t count = 0;
    int64_t oldest_created_ms = 0;
    int64_t last_dead_ms = 0;  // when the most recent batch was given up on
    std::string last_error;
  };

  // One stored channel as VisitSnapshots hands it over: the views point into SQLite's row and are
  // valid during the call only.
  struct StoredSnapshotView {
    std::string_view channel;
    std::string_view encoded;
    const std::vector<std::string>& deltas;  // encoded ChannelDelta, oldest first
    int64_t history_cursor_ms = 0;           // 0 when none is stored
    std::string_view history_tombstones;
  };
  // Calls `visit` for every stored channel snapshot, in channel order, with its deltas (deltas of
  // a channel without a full snapshot are skipped). Only one channel's deltas are copied at a
  // time: a start-up holds no second copy of the stored state. `visit` runs under the store's
  // lock and must not call the store.
  Status VisitSnapshots(const std::function<void(const StoredSnapshotView&)>& visit);
  // VisitSnapshots into values (for tests and tools; the daemon visits).
  Result<std::vector<StoredSnapshot>> LoadSnapshots();
  // In one transaction: replaces the full snapshot of each of `snapshots` (dropping its deltas),
  // appends `deltas`, sets `cursors`, deletes the snapshots, deltas and cursors of
  // `removed_channels` and appends `routed`, then `outbox`, in order. On any failure nothing is
  // written.
  Status CommitCycle(const std::vector<Snapshot>& snapshots,
                     const std::vector<std::string>& removed_channels,
                     const std::vector<OutboxEntry>& outbox, const std::vector<Delta>& deltas = {},
                     const std::vector<Cursor>& cursors = {});
  Status CommitCycle(const std::vector<Snapshot>& snapshots,
                     const std::vector<std::string>& removed_channels,
                     const std::vector<OutboxEntry>& outbox, const std::vector<Delta>& deltas,
                     const std::vector<Cursor>& cursors, const RoutedEvents& routed);

  // Returns the bytes of database pages committed (written to the write-ahead log) since the
  // previous call, by every transaction; a checkpoint later copies them into the database file.
  uint64_t TakeBytesWritten();

  // Outbox and batches (daemon/delivery). All take the webhook name.
  // How a delivery-side transaction reaches the disk (see the top of this file).
  enum class Sync { kDurable, kDeferred };
  // Returns the persisted in-flight batch, if any.
  Result<std::optional<Batch>> CurrentBatch(const std::string& webhook);
  // Returns up to `limit` of the oldest events not in a batch, in seq order.
  Result<std::vector<PendingEvent>> PeekPending(const std::string& webhook, int limit);
  // Makes the events with these seqs the webhook's batch in flight. Fails if one is in flight.
  Status AssignBatch(const std::string& webhook, const std::string& batch_id,
                     const std::vector<int64_t>& seqs, int64_t created_ms,
                     Sync sync = Sync::kDurable);
  // Records a failed attempt that started at `attempt_ms` (sets first_attempt_ms on the first).
  Status RecordFailure(const std::string& webhook, int64_t attempt_ms, const std::string& error);
  // Deletes the batch in flight and its events (acknowledged); returns how many events it held.
  Result<uint64_t> CompleteBatch(const std::string& webhook, Sync sync = Sync::kDurable);
  // Makes every kDeferred transaction durable (fsyncs the WAL, then checkpoints what it can); a
  // no-op when none is waiting.
  Status SyncDeferred();
  // kDeferred transactions committed since the last fsync (0 once one ran).
  uint64_t DeferredCommits();
  // Moves the batch in flight to the dead letters; returns how many events it held.
  Result<uint64_t> DeadLetterBatch(const std::string& webhook, int64_t now_ms,
                                   const std::string& error);
  // Returns the webhook's backlog: counts from memory, the oldest event by index (no scan).
  Result<Backlog> GetBacklog(const std::string& webhook);

  // Dead letters (CLI). Summaries are ordered by webhook name.
  Result<std::vector<DeadLetterSummary>> DeadLetterSummaries();
  // Moves the webhook's dead letters back into its outbox under their original seqs, so they go
  // out before every newer pending event (after the batch in flight, if one is). Returns how
  // many events were moved.
  Result<uint64_t> ReplayDeadLetters(const std::string& webhook);

 private:
  struct Counts {
    uint64_t pending = 0;
    uint64_t dead_letters = 0;
  };

  StateStore(std::unique_ptr<SqliteDb> db, std::string path);
  Status Migrate();
  // Counts every webhook's pending and dead-lettered events into counts_ (once, at Open).
  Status LoadCounts();
  // Adds the events CommitCycle appended to counts_.
  void CountAppended(const std::vector<OutboxEntry>& outbox, const RoutedEvents& routed)
      REQUIRES(mu_);
  // Appends `routed`, then `outbox`, to the outbox (inside CommitCycle's transaction).
  Status AppendOutbox(const std::vector<OutboxEntry>& outbox, const RoutedEvents& routed)
      REQUIRES(mu_);
  // Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back when it fails; a kDeferred commit
  // is not fsynced (synchronous=NORMAL for that transaction only).
  Status InTransaction(const std::function<Status()>& body, Sync sync = Sync::kDurable)
      REQUIRES(mu_);

  const std::string path_;
  dev_t device_ = 0;  // identity of the file opened, for CheckFile
  ino_t inode_ = 0;
  Mutex mu_;
  // One connection, used by one thread at a time.
  std::unique_ptr<SqliteDb> db_ PT_GUARDED_BY(mu_);
  // Per webhook; entries with both counts 0 may linger.
  std::map<std::string, Counts> counts_ GUARDED_BY(mu_);
  uint64_t bytes_written_ GUARDED_BY(mu_) = 0;
  uint64_t deferred_commits_ GUARDED_BY(mu_) = 0;  // committed kDeferred, not yet fsynced
  int64_t page_size_ = 4096;
};

}  // namespace presenced
