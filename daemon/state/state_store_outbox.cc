// StateStore: the outbox, batch and dead-letter operations used by daemon/delivery and the CLI.

#include <algorithm>
#include <utility>

#include "state/sqlite_db.h"
#include "state/state_store.h"

namespace presenced {
namespace {

constexpr const char* kEventColumns =
    "seq, created_ms, id, channel, action, client_id, connection_id, member_id, data, encoding, "
    "timestamp, observed_at";

// Reads a row selected with kEventColumns.
StateStore::PendingEvent ReadPending(const Statement& row) {
  StateStore::PendingEvent p;
  p.seq = row.ColumnInt(0);
  p.created_ms = row.ColumnInt(1);
  Event& e = p.event;
  e.id = row.ColumnText(2);
  e.channel = row.ColumnText(3);
  e.action = static_cast<Action>(row.ColumnInt(4));
  e.client_id = row.ColumnText(5);
  e.connection_id = row.ColumnText(6);
  e.member_id = row.ColumnText(7);
  (e.action == Action::kSync ? e.members : e.data) = row.ColumnText(8);  // see CommitCycle
  e.encoding = row.ColumnText(9);
  e.timestamp = row.ColumnInt(10);
  e.observed_at = row.ColumnInt(11);
  return p;
}

Result<std::vector<StateStore::PendingEvent>> ReadAllPending(Statement& select) {
  std::vector<StateStore::PendingEvent> events;
  while (true) {
    Result<bool> row = select.Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    events.push_back(ReadPending(select));
  }
  return events;
}

}  // namespace

Result<std::optional<StateStore::Batch>> StateStore::CurrentBatch(const std::string& webhook) {
  MutexLock lock(mu_);
  Result<Statement> head = db_->Prepare(
      "SELECT batch_id, created_ms, attempts, first_attempt_ms, last_error FROM batches "
      "WHERE webhook = ?1");
  if (!head.ok()) return head.error();
  head->Bind(1, webhook);
  Result<bool> found = head->Step();
  if (!found.ok()) return found.error();
  if (!*found) return std::optional<Batch>();
  Batch batch;
  batch.id = head->ColumnText(0);
  batch.created_ms = head->ColumnInt(1);
  batch.attempts = head->ColumnInt(2);
  batch.first_attempt_ms = head->ColumnInt(3);
  batch.last_error = head->ColumnText(4);
  Result<Statement> select =
      db_->Prepare(std::string("SELECT ") + kEventColumns +
                   " FROM outbox WHERE webhook = ?1 AND in_batch = 1 ORDER BY seq");
  if (!select.ok()) return select.error();
  select->Bind(1, webhook);
  Result<std::vector<PendingEvent>> events = ReadAllPending(*select);
  if (!events.ok()) return events.error();
  batch.events = std::move(events).value();
  return std::optional<Batch>(std::move(batch));
}

Result<std::vector<StateStore::PendingEvent>> StateStore::PeekPending(const std::string& webhook,
                                                                      int limit) {
  MutexLock lock(mu_);
  Result<Statement> select =
      db_->Prepare(std::string("SELECT ") + kEventColumns +
                   " FROM outbox WHERE webhook = ?1 AND in_batch = 0 ORDER BY seq LIMIT ?2");
  if (!select.ok()) return select.error();
  select->Bind(1, webhook).Bind(2, static_cast<int64_t>(limit));
  return ReadAllPending(*select);
}

Status StateStore::AssignBatch(const std::string& webhook, const std::string& batch_id,
                               const std::vector<int64_t>& seqs, int64_t created_ms, Sync sync) {
  MutexLock lock(mu_);
  return InTransaction(
      [&]() REQUIRES(mu_) -> Status {
        Result<Statement> insert =
            db_->Prepare("INSERT INTO batches (webhook, batch_id, created_ms) VALUES (?1, ?2, ?3)");
        if (!insert.ok()) return insert.error();
        insert->Bind(1, webhook).Bind(2, batch_id).Bind(3, created_ms);
        if (Status s = insert->Run(); !s.ok()) return s;
        Result<Statement> mark =
            db_->Prepare("UPDATE outbox SET in_batch = 1 WHERE seq = ?1 AND webhook = ?2");
        if (!mark.ok()) return mark.error();
        for (int64_t seq : seqs) {
          mark->Bind(1, seq).Bind(2, webhook);
          if (Status s = mark->Run(); !s.ok()) return s;
          if (db_->Changes() != 1) return Error{"outbox event " + std::to_string(seq) + " is gone"};
        }
        return Ok{};
      },
      sync);
}

Status StateStore::RecordFailure(const std::string& webhook, int64_t attempt_ms,
                                 const std::string& error) {
  MutexLock lock(mu_);
  Result<Statement> update = db_->Prepare(
      "UPDATE batches SET attempts = attempts + 1, last_error = ?2, first_attempt_ms = "
      "CASE WHEN first_attempt_ms = 0 THEN ?3 ELSE first_attempt_ms END WHERE webhook = ?1");
  if (!update.ok()) return update.error();
  update->Bind(1, webhook).Bind(2, error).Bind(3, attempt_ms);
  return update->Run();
}

Result<uint64_t> StateStore::CompleteBatch(const std::string& webhook, Sync sync) {
  MutexLock lock(mu_);
  uint64_t events = 0;
  Status done = InTransaction(
      [&]() REQUIRES(mu_) -> Status {
        Result<Statement> remove =
            db_->Prepare("DELETE FROM outbox WHERE webhook = ?1 AND in_batch = 1");
        if (!remove.ok()) return remove.error();
        if (Status s = remove->Bind(1, webhook).Run(); !s.ok()) return s;
        events = static_cast<uint64_t>(db_->Changes());
        Result<Statement> drop = db_->Prepare("DELETE FROM batches WHERE webhook = ?1");
        if (!drop.ok()) return drop.error();
        return drop->Bind(1, webhook).Run();
      },
      sync);
  if (!done.ok()) return done.error();
  Counts& counts = counts_[webhook];
  counts.pending -= std::min(counts.pending, events);
  return events;
}

Status StateStore::SyncDeferred() {
  MutexLock lock(mu_);
  if (deferred_commits_ == 0) return Ok{};
  // A checkpoint fsyncs the WAL before copying it into the database file (synchronous=FULL).
  // It copies what no reader still needs; the fsync of the WAL is what this is for.
  if (Status s = db_->Exec("PRAGMA wal_checkpoint(PASSIVE)"); !s.ok()) return s;
  deferred_commits_ = 0;
  return Ok{};
}

uint64_t StateStore::DeferredCommits() {
  MutexLock lock(mu_);
  return deferred_commits_;
}

Result<uint64_t> StateStore::DeadLetterBatch(const std::string& webhook, int64_t now_ms,
                                             const std::string& error) {
  MutexLock lock(mu_);
  uint64_t events = 0;
  Status done = InTransaction([&]() REQUIRES(mu_) -> Status {
    Result<Statement> move = db_->Prepare(
        "INSERT INTO dead_letters (seq, webhook, id, channel, action, client_id, connection_id, "
        "member_id, data, encoding, timestamp, observed_at, created_ms, batch_id, dead_ms, "
        "last_error) "
        "SELECT o.seq, o.webhook, o.id, o.channel, o.action, o.client_id, o.connection_id, "
        "o.member_id, o.data, o.encoding, o.timestamp, o.observed_at, o.created_ms, b.batch_id, "
        "?2, ?3 FROM outbox o JOIN batches b ON b.webhook = o.webhook "
        "WHERE o.webhook = ?1 AND o.in_batch = 1 ORDER BY o.seq");
    if (!move.ok()) return move.error();
    if (Status s = move->Bind(1, webhook).Bind(2, now_ms).Bind(3, error).Run(); !s.ok()) return s;
    events = static_cast<uint64_t>(db_->Changes());
    for (const char* sql : {"DELETE FROM outbox WHERE webhook = ?1 AND in_batch = 1",
                            "DELETE FROM batches WHERE webhook = ?1"}) {
      Result<Statement> drop = db_->Prepare(sql);
      if (!drop.ok()) return drop.error();
      if (Status s = drop->Bind(1, webhook).Run(); !s.ok()) return s;
    }
    return Ok{};
  });
  if (!done.ok()) return done.error();
  Counts& counts = counts_[webhook];
  counts.pending -= std::min(counts.pending, events);
  counts.dead_letters += events;
  return events;
}

Result<StateStore::Backlog> StateStore::GetBacklog(const std::string& webhook) {
  MutexLock lock(mu_);
  Backlog backlog;
  if (auto it = counts_.find(webhook); it != counts_.end()) {
    backlog.pending = it->second.pending;
    backlog.dead_letters = it->second.dead_letters;
  }
  if (backlog.pending == 0) return backlog;
  // The head (lowest seq) is the oldest: seqs grow with time and replayed dead letters keep
  // theirs. One index lookup, whatever the outbox holds.
  Result<Statement> head =
      db_->Prepare("SELECT created_ms FROM outbox WHERE webhook = ?1 ORDER BY seq LIMIT 1");
  if (!head.ok()) return head.error();
  head->Bind(1, webhook);
  Result<bool> row = head->Step();
  if (!row.ok()) return row.error();
  if (*row) backlog.oldest_created_ms = head->ColumnInt(0);
  return backlog;
}

Status StateStore::LoadCounts() {
  MutexLock lock(mu_);
  const std::pair<const char*, uint64_t Counts::*> kCounts[] = {
      {"SELECT webhook, COUNT(*) FROM outbox GROUP BY webhook", &Counts::pending},
      {"SELECT webhook, COUNT(*) FROM dead_letters GROUP BY webhook", &Counts::dead_letters}};
  for (const auto& [sql, field] : kCounts) {
    Result<Statement> select = db_->Prepare(sql);
    if (!select.ok()) return select.error();
    while (true) {
      Result<bool> row = select->Step();
      if (!row.ok()) return row.error();
      if (!*row) break;
      counts_[select->ColumnText(0)].*field = static_cast<uint64_t>(select->ColumnInt(1));
    }
  }
  return Ok{};
}

void StateStore::CountAppended(const std::vector<OutboxEntry>& outbox, const RoutedEvents& routed) {
  std::vector<uint64_t> per_sink(routed.sinks.size());
  for (const RoutedEvents::Route& route : routed.routes) ++per_sink[route.sink];
  for (size_t i = 0; i < per_sink.size(); ++i) counts_[routed.sinks[i]].pending += per_sink[i];
  for (const OutboxEntry& entry : outbox) ++counts_[entry.webhook].pending;
}

Status StateStore::AppendOutbox(const std::vector<OutboxEntry>& outbox,
                                const RoutedEvents& routed) {
  Result<Statement> append = db_->Prepare(
      "INSERT INTO outbox (webhook, id, channel, action, client_id, connection_id, member_id, "
      "data, encoding, timestamp, observed_at, created_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!append.ok()) return append.error();
  const auto add = [&](const std::string& webhook, const Event& e) {
    append->Bind(1, webhook)
        .Bind(2, e.id)
        .Bind(3, e.channel)
        .Bind(4, static_cast<int64_t>(e.action))
        .Bind(5, e.client_id)
        .Bind(6, e.connection_id)
        .Bind(7, e.member_id);
    // A sync has no data of its own: the column holds its encoded member set instead.
    if (e.action == Action::kSync) {
      append->BindBlob(8, e.members);
    } else {
      append->Bind(8, e.data);
    }
    append->Bind(9, e.encoding)
        .Bind(10, e.timestamp)
        .Bind(11, e.observed_at)
        .Bind(12, e.observed_at);
    return append->Run();
  };
  // The chunks are decoded in order, one event at a time; each event's routes follow.
  Status status = Ok{};
  size_t next = 0;
  uint32_t position = 0;
  for (const PackedEvents* chunk : routed.chunks) {
    chunk->ForEach([&](const Event& event) {
      for (; next < routed.routes.size() && routed.routes[next].event == position; ++next) {
        if (status.ok()) status = add(routed.sinks[routed.routes[next].sink], event);
      }
      ++position;
    });
    if (!status.ok()) return status;
  }
  for (const OutboxEntry& entry : outbox) {
    if (Status s = add(entry.webhook, entry.event); !s.ok()) return s;
  }
  return Ok{};
}

Result<std::vector<StateStore::DeadLetterSummary>> StateStore::DeadLetterSummaries() {
  MutexLock lock(mu_);
  Result<Statement> select = db_->Prepare(
      "SELECT d.webhook, COUNT(*), MIN(d.created_ms), MAX(d.dead_ms), "
      "(SELECT l.last_error FROM dead_letters l WHERE l.webhook = d.webhook "
      " ORDER BY l.dead_ms DESC, l.seq DESC LIMIT 1) "
      "FROM dead_letters d GROUP BY d.webhook ORDER BY d.webhook");
  if (!select.ok()) return select.error();
  std::vector<DeadLetterSummary> summaries;
  while (true) {
    Result<bool> row = select->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    summaries.push_back({select->ColumnText(0), static_cast<uint64_t>(select->ColumnInt(1)),
                         select->ColumnInt(2), select->ColumnInt(3), select->ColumnText(4)});
  }
  return summaries;
}

Result<uint64_t> StateStore::ReplayDeadLetters(const std::string& webhook) {
  MutexLock lock(mu_);
  uint64_t events = 0;
  Status done = InTransaction([&]() REQUIRES(mu_) -> Status {
    Result<Statement> move = db_->Prepare(
        "INSERT INTO outbox (seq, webhook, id, channel, action, client_id, connection_id, "
        "member_id, data, encoding, timestamp, observed_at, created_ms) "
        "SELECT seq, webhook, id, channel, action, client_id, connection_id, member_id, data, "
        "encoding, timestamp, observed_at, created_ms FROM dead_letters WHERE webhook = ?1 "
        "ORDER BY seq");
    if (!move.ok()) return move.error();
    if (Status s = move->Bind(1, webhook).Run(); !s.ok()) return s;
    events = static_cast<uint64_t>(db_->Changes());
    Result<Statement> drop = db_->Prepare("DELETE FROM dead_letters WHERE webhook = ?1");
    if (!drop.ok()) return drop.error();
    return drop->Bind(1, webhook).Run();
  });
  if (!done.ok()) return done.error();
  Counts& counts = counts_[webhook];
  counts.dead_letters -= std::min(counts.dead_letters, events);
  counts.pending += events;
  return events;
}

}  // namespace presenced
