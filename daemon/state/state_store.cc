#include "state/state_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "state/sqlite_db.h"

namespace presenced {
namespace {

// 1: full snapshots only. 2: adds snapshot_deltas; a version-1 database is a version-2 one
// without deltas, so migrating only creates the table. 3: adds history_cursors (presence.mode:
// history); an older database is one without cursors, so again only the table is created.
constexpr int kSchemaVersion = 3;

// Event columns shared by outbox and dead_letters, in the order StateStore binds and reads them.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS snapshots (
  channel TEXT PRIMARY KEY NOT NULL,
  encoded BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshot_deltas (
  seq INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  encoded BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshot_deltas_by_channel ON snapshot_deltas (channel, seq);
CREATE TABLE IF NOT EXISTS history_cursors (
  channel TEXT PRIMARY KEY NOT NULL,
  cursor_ms INTEGER NOT NULL,
  tombstones BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook TEXT NOT NULL,
  id TEXT NOT NULL, channel TEXT NOT NULL, action INTEGER NOT NULL, client_id TEXT NOT NULL,
  connection_id TEXT NOT NULL, member_id TEXT NOT NULL, data TEXT NOT NULL,
  encoding TEXT NOT NULL, timestamp INTEGER NOT NULL, observed_at INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  in_batch INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_by_webhook ON outbox (webhook, seq);
-- The batch in flight is found, delivered and dead-lettered through this index, never by a scan
-- of the webhook's whole outbox (a dead receiver's backlog can hold millions of rows).
CREATE INDEX IF NOT EXISTS outbox_in_batch ON outbox (webhook, seq) WHERE in_batch = 1;
CREATE TABLE IF NOT EXISTS batches (
  webhook TEXT PRIMARY KEY NOT NULL,
  batch_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  first_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY,
  webhook TEXT NOT NULL,
  id TEXT NOT NULL, channel TEXT NOT NULL, action INTEGER NOT NULL, client_id TEXT NOT NULL,
  connection_id TEXT NOT NULL, member_id TEXT NOT NULL, data TEXT NOT NULL,
  encoding TEXT NOT NULL, timestamp INTEGER NOT NULL, observed_at INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  batch_id TEXT NOT NULL,
  dead_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_webhook ON dead_letters (webhook, seq);
)sql";

}  // namespace

StateStore::StateStore(std::unique_ptr<SqliteDb> db, std::string path)
    : path_(std::move(path)), db_(std::move(db)) {}
StateStore::~StateStore() = default;

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"state.dir " + dir + ": " + ec.message()};
  const std::string path = dir + "/presenced.db";
  Result<SqliteDb> db = SqliteDb::Open(path);
  if (!db.ok()) return db.error();
  std::unique_ptr<StateStore> store(
      new StateStore(std::make_unique<SqliteDb>(std::move(db).value()), path));
  if (Status migrated = store->Migrate(); !migrated.ok()) return migrated.error();
  if (Status counted = store->LoadCounts(); !counted.ok()) return counted.error();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error{"state store " + path + ": " + std::strerror(errno)};
  }
  store->device_ = st.st_dev;
  store->inode_ = st.st_ino;
  return store;
}

Status StateStore::CheckFile() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Error{"state store " + path_ +
                   " was deleted while presenced was running; what was written since is lost "
                   "with it"};
    }
    return Error{"state store " + path_ + ": " + std::strerror(errno)};
  }
  if (st.st_dev != device_ || st.st_ino != inode_) {
    return Error{"state store " + path_ +
                 " was replaced by another file while presenced was running (inode " +
                 std::to_string(inode_) + " is now " + std::to_string(st.st_ino) + ")"};
  }
  return Ok{};
}

Status StateStore::Migrate() {
  MutexLock lock(mu_);
  // busy_timeout first: another process (the CLI) may hold the write lock right now.
  if (Status s = db_->Exec("PRAGMA busy_timeout=5000"); !s.ok()) return s;
  // Statements are scoped: a statement left mid-step would block the COMMIT below.
  {
    Result<Statement> mode = db_->Prepare("PRAGMA journal_mode=WAL");
    if (!mode.ok()) return mode.error();
    Result<bool> row = mode->Step();
    if (!row.ok()) return row.error();
    if (!*row || mode->ColumnText(0) != "wal") return Error{"sqlite: cannot enable WAL mode"};
  }
  if (Status s = db_->Exec("PRAGMA synchronous=FULL"); !s.ok()) return s;
  {
    Result<Statement> page_size = db_->Prepare("PRAGMA page_size");
    if (!page_size.ok()) return page_size.error();
    Result<bool> row = page_size->Step();
    if (!row.ok()) return row.error();
    if (*row) page_size_ = page_size->ColumnInt(0);
  }

  int64_t current = 0;
  {
    Result<Statement> version = db_->Prepare("PRAGMA user_version");
    if (!version.ok()) return version.error();
    Result<bool> has = version->Step();
    if (!has.ok()) return has.error();
    if (*has) current = version->ColumnInt(0);
  }
  if (current > kSchemaVersion) {
    return Error{"state store schema version " + std::to_string(current) +
                 " is newer than this presenced understands (" + std::to_string(kSchemaVersion) +
                 ")"};
  }
  return InTransaction([&]() REQUIRES(mu_) -> Status {
    if (Status s = db_->Exec(kSchema); !s.ok()) return s;
    return db_->Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
  });
}

Status StateStore::InTransaction(const std::function<Status()>& body, Sync sync) {
  const bool deferred = sync == Sync::kDeferred;
  if (deferred) {
    if (Status s = db_->Exec("PRAGMA synchronous=NORMAL"); !s.ok()) return s;
  }
  Status result = db_->Exec("BEGIN IMMEDIATE");
  if (result.ok()) {
    result = body();
    if (result.ok()) result = db_->Exec("COMMIT");
    if (!result.ok()) (void)db_->Exec("ROLLBACK");  // best effort; the error is what matters
  }
  if (deferred) {
    // Back to FULL before anything else commits: only this transaction may skip the fsync.
    if (Status s = db_->Exec("PRAGMA synchronous=FULL"); !s.ok() && result.ok()) result = s;
  }
  if (result.ok()) {
    // A durable commit fsyncs the WAL up to itself, and so every deferred commit before it.
    deferred_commits_ = deferred ? deferred_commits_ + 1 : 0;
  }
  int pages = 0, highwater = 0;
  if (sqlite3_db_status(db_->handle(), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &highwater, 1) ==
      SQLITE_OK) {
    bytes_written_ += static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size_);
  }
  return result;
}

uint64_t StateStore::TakeBytesWritten() {
  MutexLock lock(mu_);
  return std::exchange(bytes_written_, 0);
}

Status StateStore::VisitSnapshots(const std::function<void(const StoredSnapshotView&)>& visit) {
  MutexLock lock(mu_);
  // Three statements stepped together in channel order (a merge join; SQLite's BINARY collation
  // orders like std::string_view).
  Result<Statement> snapshots =
      db_->Prepare("SELECT channel, encoded FROM snapshots ORDER BY channel");
  if (!snapshots.ok()) return snapshots.error();
  Result<Statement> deltas =
      db_->Prepare("SELECT channel, encoded FROM snapshot_deltas ORDER BY channel, seq");
  if (!deltas.ok()) return deltas.error();
  Result<Statement> cursors =
      db_->Prepare("SELECT channel, cursor_ms, tombstones FROM history_cursors ORDER BY channel");
  if (!cursors.ok()) return cursors.error();
  Result<bool> delta_row = deltas->Step();
  if (!delta_row.ok()) return delta_row.error();
  Result<bool> cursor_row = cursors->Step();
  if (!cursor_row.ok()) return cursor_row.error();
  std::vector<std::string> channel_deltas;
  while (true) {
    Result<bool> row = snapshots->Step();
    if (!row.ok()) return row.error();
    if (!*row) return Ok{};
    const std::string_view channel = snapshots->ColumnView(0);
    channel_deltas.clear();
    for (; delta_row.ok() && *delta_row && deltas->ColumnView(0) <= channel;
         delta_row = deltas->Step()) {
      if (deltas->ColumnView(0) == channel) channel_deltas.emplace_back(deltas->ColumnView(1));
    }
    if (!delta_row.ok()) return delta_row.error();
    for (; cursor_row.ok() && *cursor_row && cursors->ColumnView(0) < channel;
         cursor_row = cursors->Step()) {
    }
    if (!cursor_row.ok()) return cursor_row.error();
    const bool has_cursor = *cursor_row && cursors->ColumnView(0) == channel;
    visit({channel, snapshots->ColumnView(1), channel_deltas,
           has_cursor ? cursors->ColumnInt(1) : 0,
           has_cursor ? cursors->ColumnView(2) : std::string_view()});
  }
}

Result<std::vector<StateStore::StoredSnapshot>> StateStore::LoadSnapshots() {
  std::vector<StoredSnapshot> snapshots;
  Status visited = VisitSnapshots([&](const StoredSnapshotView& view) {
    snapshots.push_back({std::string(view.channel), std::string(view.encoded), view.deltas,
                         view.history_cursor_ms, std::string(view.history_tombstones)});
  });
  if (!visited.ok()) return visited.error();
  return snapshots;
}

Status StateStore::CommitCycle(const std::vector<Snapshot>& snapshots,
                               const std::vector<std::string>& removed_channels,
                               const std::vector<OutboxEntry>& outbox,
                               const std::vector<Delta>& deltas,
                               const std::vector<Cursor>& cursors) {
  return CommitCycle(snapshots, removed_channels, outbox, deltas, cursors, RoutedEvents{});
}

Status StateStore::CommitCycle(const std::vector<Snapshot>& snapshots,
                               const std::vector<std::string>& removed_channels,
                               const std::vector<OutboxEntry>& outbox,
                               const std::vector<Delta>& deltas, const std::vector<Cursor>& cursors,
                               const RoutedEvents& routed) {
  MutexLock lock(mu_);
  Status committed = InTransaction([&]() REQUIRES(mu_) -> Status {
    Result<Statement> upsert = db_->Prepare(
        "INSERT INTO snapshots (channel, encoded) VALUES (?1, ?2) "
        "ON CONFLICT (channel) DO UPDATE SET encoded = excluded.encoded");
    if (!upsert.ok()) return upsert.error();
    Result<Statement> drop_deltas = db_->Prepare("DELETE FROM snapshot_deltas WHERE channel = ?1");
    if (!drop_deltas.ok()) return drop_deltas.error();
    for (const Snapshot& snapshot : snapshots) {
      upsert->Bind(1, snapshot.channel).BindBlob(2, snapshot.encoded);
      if (Status s = upsert->Run(); !s.ok()) return s;
      drop_deltas->Bind(1, snapshot.channel);
      if (Status s = drop_deltas->Run(); !s.ok()) return s;
    }
    Result<Statement> add_delta =
        db_->Prepare("INSERT INTO snapshot_deltas (channel, encoded) VALUES (?1, ?2)");
    if (!add_delta.ok()) return add_delta.error();
    for (const Delta& delta : deltas) {
      add_delta->Bind(1, delta.channel).BindBlob(2, delta.encoded);
      if (Status s = add_delta->Run(); !s.ok()) return s;
    }
    Result<Statement> set_cursor = db_->Prepare(
        "INSERT INTO history_cursors (channel, cursor_ms, tombstones) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (channel) DO UPDATE SET cursor_ms = excluded.cursor_ms, "
        "tombstones = excluded.tombstones");
    if (!set_cursor.ok()) return set_cursor.error();
    for (const Cursor& cursor : cursors) {
      set_cursor->Bind(1, cursor.channel).Bind(2, cursor.cursor_ms).BindBlob(3, cursor.tombstones);
      if (Status s = set_cursor->Run(); !s.ok()) return s;
    }
    Result<Statement> remove = db_->Prepare("DELETE FROM snapshots WHERE channel = ?1");
    if (!remove.ok()) return remove.error();
    Result<Statement> drop_cursor = db_->Prepare("DELETE FROM history_cursors WHERE channel = ?1");
    if (!drop_cursor.ok()) return drop_cursor.error();
    for (const std::string& channel : removed_channels) {
      remove->Bind(1, channel);
      if (Status s = remove->Run(); !s.ok()) return s;
      drop_deltas->Bind(1, channel);
      if (Status s = drop_deltas->Run(); !s.ok()) return s;
      drop_cursor->Bind(1, channel);
      if (Status s = drop_cursor->Run(); !s.ok()) return s;
    }
    return AppendOutbox(outbox, routed);
  });
  if (committed.ok()) CountAppended(outbox, routed);
  return committed;
}

}  // namespace presenced
