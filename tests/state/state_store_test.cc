#include "state/state_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>

#include "fakes/test_support.h"
#include "state/sqlite_db.h"
#include "state/state_dir_lock.h"

namespace presenced {
namespace {

Event MakeEvent(std::string channel, std::string client, Action action, int64_t observed_at) {
  Event e;
  e.id = channel + "/" + client + "/" + std::string(ActionName(action));
  e.channel = std::move(channel);
  e.action = action;
  e.client_id = std::move(client);
  e.connection_id = "conn";
  e.member_id = "conn:0:0";
  e.data = R"({"x":1})";
  e.encoding = "json";
  e.timestamp = observed_at - 5;
  e.observed_at = observed_at;
  return e;
}

std::unique_ptr<StateStore> OpenStore(const std::string& dir) {
  auto store = StateStore::Open(dir);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(store).value() : nullptr;
}

std::vector<std::string> ClientIds(const std::vector<StateStore::PendingEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& p : events) ids.push_back(p.event.client_id);
  return ids;
}

class StateStoreTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<StateStore> store_ = OpenStore(dir_.path() + "/state");
};

TEST_F(StateStoreTest, OpenCreatesTheDirectoryInWalMode) {
  ASSERT_NE(store_, nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/state/presenced.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(StateStoreTest, OpenFailsOnAnUnusableDirectory) {
  const std::string file = dir_.WriteFile("not-a-dir", "x");
  auto store = StateStore::Open(file + "/sub");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("not-a-dir"), std::string::npos);
}

TEST_F(StateStoreTest, SnapshotsRoundTripAcrossReopen) {
  const std::string binary("\0\x01\xff bytes", 9);
  ASSERT_TRUE(store_->CommitCycle({{"a", "one"}, {"b", binary}}, {}, {}).ok());
  ASSERT_TRUE(store_->CommitCycle({{"a", "two"}}, {"missing"}, {}).ok());
  store_.reset();
  store_ = OpenStore(dir_.path() + "/state");
  auto snapshots = store_->LoadSnapshots();
  ASSERT_TRUE(snapshots.ok());
  std::sort(snapshots->begin(), snapshots->end(),
            [](const auto& x, const auto& y) { return x.channel < y.channel; });
  ASSERT_EQ(snapshots->size(), 2u);
  EXPECT_EQ((*snapshots)[0].encoded, "two");
  EXPECT_EQ((*snapshots)[1].encoded, binary);

  ASSERT_TRUE(store_->CommitCycle({}, {"a"}, {}).ok());
  snapshots = store_->LoadSnapshots();
  ASSERT_EQ(snapshots->size(), 1u);
  EXPECT_EQ((*snapshots)[0].channel, "b");
}

TEST_F(StateStoreTest, DeltasFollowTheirSnapshotUntilItIsReplaced) {
  ASSERT_TRUE(store_->CommitCycle({{"a", "base"}}, {}, {}, {{"orphan", "x"}}).ok());
  ASSERT_TRUE(store_->CommitCycle({}, {}, {}, {{"a", "d1"}}).ok());
  ASSERT_TRUE(store_->CommitCycle({{"b", "base-b"}}, {}, {}, {{"a", "d2"}, {"b", "db"}}).ok());
  store_.reset();
  store_ = OpenStore(dir_.path() + "/state");
  auto snapshots = store_->LoadSnapshots();
  ASSERT_TRUE(snapshots.ok());
  std::sort(snapshots->begin(), snapshots->end(),
            [](const auto& x, const auto& y) { return x.channel < y.channel; });
  ASSERT_EQ(snapshots->size(), 2u);  // "orphan" has deltas but no snapshot: not a channel
  EXPECT_EQ((*snapshots)[0].deltas, (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ((*snapshots)[1].deltas, (std::vector<std::string>{"db"}));

  // A new full snapshot (compaction) drops the channel's deltas; removal drops both.
  ASSERT_TRUE(store_->CommitCycle({{"a", "compacted"}}, {"b"}, {}, {}).ok());
  snapshots = store_->LoadSnapshots();
  ASSERT_EQ(snapshots->size(), 1u);
  EXPECT_EQ((*snapshots)[0].encoded, "compacted");
  EXPECT_TRUE((*snapshots)[0].deltas.empty());
  ASSERT_TRUE(store_->CommitCycle({{"b", "again"}}, {}, {}, {}).ok());
  snapshots = store_->LoadSnapshots();
  for (const auto& snapshot : *snapshots) EXPECT_TRUE(snapshot.deltas.empty()) << snapshot.channel;
  EXPECT_GT(store_->TakeBytesWritten(), 0u);
  EXPECT_EQ(store_->TakeBytesWritten(), 0u);
}

// VisitSnapshots walks snapshots, deltas and cursors together in channel order: each channel gets
// exactly its own, whatever lies between (orphan deltas and cursors, names that sort apart only
// as unsigned bytes), and nothing is left out at either end.
TEST_F(StateStoreTest, VisitSnapshotsPairsEachChannelWithOnlyItsOwnDeltasAndCursor) {
  const std::string e_acute = "\xc3\xa9";  // above every ASCII name as an unsigned byte
  ASSERT_TRUE(store_
                  ->CommitCycle({{"b", "sb"}, {"d", "sd"}, {e_acute, "se"}, {"z", "sz"}}, {}, {},
                                {{"a", "orphan-a"},
                                 {"c", "orphan-c"},
                                 {"d", "d1"},
                                 {e_acute, "e1"},
                                 {"zz", "orphan-zz"},
                                 {"d", "d2"}},
                                {{"a", 1, ""}, {"d", 4, "td"}, {"dd", 5, ""}, {e_acute, 6, "te"}})
                  .ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store_
                  ->VisitSnapshots([&](const StateStore::StoredSnapshotView& view) {
                    std::string line = std::string(view.channel) + "=" + std::string(view.encoded);
                    for (const std::string& delta : view.deltas) line += "+" + delta;
                    line += "@" + std::to_string(view.history_cursor_ms) +
                            std::string(view.history_tombstones);
                    seen.push_back(line);
                  })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"b=sb@0", "d=sd+d1+d2@4td", "z=sz@0",
                                            e_acute + "=se+e1@6te"}));
}

// A state.dir written by presenced before deltas existed (schema 1: full snapshots only) opens,
// keeps its snapshots, and takes deltas from then on.
TEST_F(StateStoreTest, MigratesAVersionOneDatabase) {
  const std::string dir = dir_.path() + "/old";
  std::filesystem::create_directories(dir);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/presenced.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA journal_mode=WAL;"
                         "CREATE TABLE snapshots (channel TEXT PRIMARY KEY NOT NULL, encoded BLOB "
                         "NOT NULL) WITHOUT ROWID;"
                         "INSERT INTO snapshots VALUES ('room', x'50530100');"
                         "PRAGMA user_version=1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  std::unique_ptr<StateStore> store = OpenStore(dir);
  ASSERT_NE(store, nullptr);
  auto snapshots = store->LoadSnapshots();
  ASSERT_TRUE(snapshots.ok()) << snapshots.error().message;
  ASSERT_EQ(snapshots->size(), 1u);
  EXPECT_EQ((*snapshots)[0].encoded, std::string("PS\x01\x00", 4));
  ASSERT_TRUE(store->CommitCycle({}, {}, {}, {{"room", "delta"}}).ok());
  snapshots = store->LoadSnapshots();
  EXPECT_EQ((*snapshots)[0].deltas, std::vector<std::string>{"delta"});
}

// Schema 3: a history cursor per channel, committed with the snapshots, dropped with the channel.
TEST_F(StateStoreTest, HistoryCursorsCommitWithSnapshotsAndGoWithTheirChannel) {
  ASSERT_TRUE(
      store_->CommitCycle({{"a", "sa"}, {"b", "sb"}}, {}, {}, {}, {{"a", 1000, "gone"}}).ok());
  auto snapshots = store_->LoadSnapshots();
  ASSERT_TRUE(snapshots.ok()) << snapshots.error().message;
  ASSERT_EQ(snapshots->size(), 2u);
  EXPECT_EQ((*snapshots)[0].history_cursor_ms, 1000);
  EXPECT_EQ((*snapshots)[0].history_tombstones, "gone");
  EXPECT_EQ((*snapshots)[1].history_cursor_ms, 0);  // none stored
  ASSERT_TRUE(
      store_->CommitCycle({}, {}, {}, {{"a", "d"}}, {{"a", 2000, ""}, {"b", 3000, ""}}).ok());
  snapshots = store_->LoadSnapshots();
  EXPECT_EQ((*snapshots)[0].history_cursor_ms, 2000);
  EXPECT_EQ((*snapshots)[1].history_cursor_ms, 3000);
  ASSERT_TRUE(store_->CommitCycle({}, {"a"}, {}, {}, {}).ok());
  ASSERT_TRUE(store_->CommitCycle({{"a", "again"}}, {}, {}, {}, {}).ok());
  snapshots = store_->LoadSnapshots();
  EXPECT_EQ((*snapshots)[0].history_cursor_ms, 0) << "a removed channel keeps no cursor";
}

// A state.dir of schema 2 (snapshots and deltas, no cursors) opens, keeps both, and stores
// cursors from then on.
TEST_F(StateStoreTest, MigratesAVersionTwoDatabase) {
  const std::string dir = dir_.path() + "/v2";
  std::filesystem::create_directories(dir);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/presenced.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA journal_mode=WAL;"
                         "CREATE TABLE snapshots (channel TEXT PRIMARY KEY NOT NULL, encoded BLOB "
                         "NOT NULL) WITHOUT ROWID;"
                         "CREATE TABLE snapshot_deltas (seq INTEGER PRIMARY KEY, channel TEXT NOT "
                         "NULL, encoded BLOB NOT NULL);"
                         "INSERT INTO snapshots VALUES ('room', x'50530100');"
                         "INSERT INTO snapshot_deltas (channel, encoded) VALUES ('room', 'd1');"
                         "PRAGMA user_version=2;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  std::unique_ptr<StateStore> store = OpenStore(dir);
  ASSERT_NE(store, nullptr);
  auto snapshots = store->LoadSnapshots();
  ASSERT_TRUE(snapshots.ok()) << snapshots.error().message;
  ASSERT_EQ(snapshots->size(), 1u);
  EXPECT_EQ((*snapshots)[0].deltas, std::vector<std::string>{"d1"});
  EXPECT_EQ((*snapshots)[0].history_cursor_ms, 0);
  ASSERT_TRUE(store->CommitCycle({}, {}, {}, {}, {{"room", 42, ""}}).ok());
  snapshots = store->LoadSnapshots();
  EXPECT_EQ((*snapshots)[0].history_cursor_ms, 42);
}

TEST_F(StateStoreTest, OutboxEventsRoundTripInOrderPerWebhook) {
  const Event e1 = MakeEvent("c", "alice", Action::kEnter, 1000);
  const Event e2 = MakeEvent("c", "bob", Action::kLeave, 1001);
  const Event e3 = MakeEvent("d", "carol", Action::kUpdate, 1002);
  ASSERT_TRUE(store_->CommitCycle({}, {}, {{"w1", e1}, {"w2", e1}, {"w1", e2}}).ok());
  ASSERT_TRUE(store_->CommitCycle({}, {}, {{"w1", e3}}).ok());
  auto pending = store_->PeekPending("w1", 10);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(ClientIds(*pending), (std::vector<std::string>{"alice", "bob", "carol"}));
  const Event& got = (*pending)[1].event;
  EXPECT_EQ(got.id, e2.id);
  EXPECT_EQ(got.channel, "c");
  EXPECT_EQ(got.action, Action::kLeave);
  EXPECT_EQ(got.connection_id, "conn");
  EXPECT_EQ(got.member_id, "conn:0:0");
  EXPECT_EQ(got.data, R"({"x":1})");
  EXPECT_EQ(got.encoding, "json");
  EXPECT_EQ(got.timestamp, 996);
  EXPECT_EQ(got.observed_at, 1001);
  EXPECT_EQ((*pending)[1].created_ms, 1001);
  EXPECT_EQ(ClientIds(*store_->PeekPending("w1", 2)), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(store_->PeekPending("w2", 10)->size(), 1u);

  auto backlog = store_->GetBacklog("w1");
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(backlog->pending, 3u);
  EXPECT_EQ(backlog->oldest_created_ms, 1000);
  EXPECT_EQ(backlog->dead_letters, 0u);
  EXPECT_FALSE(store_->GetBacklog("none")->oldest_created_ms.has_value());
}

TEST_F(StateStoreTest, FailedCommitLeavesNothing) {
  ASSERT_TRUE(store_->CommitCycle({{"a", "old"}}, {}, {}).ok());
  // A trigger makes the last insert of the transaction fail, after the snapshot writes.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/state/presenced.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER boom BEFORE INSERT ON outbox WHEN NEW.webhook = 'boom' "
                         "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  const Event e = MakeEvent("a", "alice", Action::kEnter, 1000);
  Status failed = store_->CommitCycle({{"a", "new"}, {"b", "new"}}, {"a"}, {{"w", e}, {"boom", e}});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("injected failure"), std::string::npos);
  auto snapshots = store_->LoadSnapshots();
  ASSERT_EQ(snapshots->size(), 1u);
  EXPECT_EQ((*snapshots)[0].encoded, "old");
  EXPECT_TRUE(store_->PeekPending("w", 10)->empty());
  // The store still works after the rollback.
  EXPECT_TRUE(store_->CommitCycle({{"b", "new"}}, {}, {{"w", e}}).ok());
  EXPECT_EQ(store_->PeekPending("w", 10)->size(), 1u);
}

TEST_F(StateStoreTest, BatchSurvivesReopenAndCompletes) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_
                    ->CommitCycle(
                        {}, {}, {{"w", MakeEvent("c", "m" + std::to_string(i), Action::kEnter, i)}})
                    .ok());
  }
  auto head = store_->PeekPending("w", 3);
  ASSERT_TRUE(
      store_->AssignBatch("w", "msg_1", {(*head)[0].seq, (*head)[1].seq, (*head)[2].seq}, 77).ok());
  EXPECT_FALSE(store_->AssignBatch("w", "msg_2", {}, 78).ok()) << "one batch in flight";
  ASSERT_TRUE(store_->RecordFailure("w", 100, "HTTP 503").ok());
  ASSERT_TRUE(store_->RecordFailure("w", 200, "HTTP 502").ok());
  store_.reset();
  store_ = OpenStore(dir_.path() + "/state");

  auto batch = store_->CurrentBatch("w");
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(batch->has_value());
  EXPECT_EQ((*batch)->id, "msg_1");
  EXPECT_EQ((*batch)->created_ms, 77);
  EXPECT_EQ((*batch)->attempts, 2);
  EXPECT_EQ((*batch)->first_attempt_ms, 100);
  EXPECT_EQ((*batch)->last_error, "HTTP 502");
  EXPECT_EQ(ClientIds((*batch)->events), (std::vector<std::string>{"m0", "m1", "m2"}));
  EXPECT_EQ(ClientIds(*store_->PeekPending("w", 10)), (std::vector<std::string>{"m3", "m4"}));

  auto done = store_->CompleteBatch("w");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, 3u);
  EXPECT_FALSE(store_->CurrentBatch("w")->has_value());
  EXPECT_EQ(store_->GetBacklog("w")->pending, 2u);
}

TEST_F(StateStoreTest, DeadLettersReplayAheadOfNewerEventsInOrder) {
  auto commit = [&](const std::string& client, int64_t t) {
    ASSERT_TRUE(
        store_->CommitCycle({}, {}, {{"w", MakeEvent("c", client, Action::kEnter, t)}}).ok());
  };
  auto batch_of = [&](int n, const std::string& id) {
    auto head = store_->PeekPending("w", n);
    std::vector<int64_t> seqs;
    for (const auto& p : *head) seqs.push_back(p.seq);
    ASSERT_TRUE(store_->AssignBatch("w", id, seqs, 0).ok());
  };
  commit("a", 1);
  commit("b", 2);
  commit("c", 3);
  batch_of(2, "msg_ab");
  auto dead = store_->DeadLetterBatch("w", 5000, "HTTP 500");
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(*dead, 2u);
  batch_of(1, "msg_c");
  ASSERT_TRUE(store_->DeadLetterBatch("w", 6000, "no response: refused").ok());
  commit("d", 4);
  batch_of(1, "msg_d");  // in flight while the replay happens

  EXPECT_EQ(store_->GetBacklog("w")->dead_letters, 3u);
  auto summaries = store_->DeadLetterSummaries();
  ASSERT_TRUE(summaries.ok());
  ASSERT_EQ(summaries->size(), 1u);
  EXPECT_EQ((*summaries)[0].webhook, "w");
  EXPECT_EQ((*summaries)[0].count, 3u);
  EXPECT_EQ((*summaries)[0].oldest_created_ms, 1);
  EXPECT_EQ((*summaries)[0].last_dead_ms, 6000);
  EXPECT_EQ((*summaries)[0].last_error, "no response: refused");

  commit("e", 5);
  auto moved = store_->ReplayDeadLetters("w");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 3u);
  EXPECT_TRUE(store_->DeadLetterSummaries()->empty());
  // The batch in flight is untouched; the replayed events come next, before the newer "e".
  EXPECT_EQ(ClientIds((*store_->CurrentBatch("w"))->events), std::vector<std::string>{"d"});
  EXPECT_EQ(ClientIds(*store_->PeekPending("w", 10)),
            (std::vector<std::string>{"a", "b", "c", "e"}));
  EXPECT_EQ(store_->GetBacklog("w")->oldest_created_ms, 1);
  EXPECT_EQ(*store_->ReplayDeadLetters("w"), 0u);
}

TEST_F(StateStoreTest, SequenceNumbersAreNeverReused) {
  ASSERT_TRUE(store_->CommitCycle({}, {}, {{"w", MakeEvent("c", "a", Action::kEnter, 1)}}).ok());
  const int64_t first = (*store_->PeekPending("w", 1))[0].seq;
  ASSERT_TRUE(store_->AssignBatch("w", "msg", {first}, 0).ok());
  ASSERT_TRUE(store_->DeadLetterBatch("w", 1, "x").ok());
  ASSERT_TRUE(store_->CommitCycle({}, {}, {{"w", MakeEvent("c", "b", Action::kEnter, 2)}}).ok());
  EXPECT_GT((*store_->PeekPending("w", 1))[0].seq, first);
  EXPECT_EQ(*store_->ReplayDeadLetters("w"), 1u);
}

// Runs `sql` on its own connection to the store's file (another process's view).
void ExecBehindTheStoresBack(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST_F(StateStoreTest, BacklogCountsFollowEveryChangeWithoutScanningTheOutbox) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        store_
            ->CommitCycle({}, {},
                          {{"w", MakeEvent("c", "m" + std::to_string(i), Action::kEnter, 100 + i)},
                           {"v", MakeEvent("c", "v" + std::to_string(i), Action::kEnter, 100 + i)}})
            .ok());
  }
  auto assign = [&](int n, const std::string& id) {
    auto head = store_->PeekPending("w", n);
    std::vector<int64_t> seqs;
    for (const auto& p : *head) seqs.push_back(p.seq);
    ASSERT_TRUE(store_->AssignBatch("w", id, seqs, 0).ok());
  };
  assign(2, "msg_1");
  ASSERT_EQ(*store_->CompleteBatch("w"), 2u);
  assign(2, "msg_2");
  ASSERT_EQ(*store_->DeadLetterBatch("w", 1, "HTTP 500"), 2u);
  auto backlog = store_->GetBacklog("w");
  EXPECT_EQ(backlog->pending, 1u);
  EXPECT_EQ(backlog->dead_letters, 2u);
  EXPECT_EQ(backlog->oldest_created_ms, 104);
  EXPECT_EQ(store_->GetBacklog("v")->pending, 5u);

  // A failed commit counts nothing.
  const std::string path = dir_.path() + "/state/presenced.db";
  ExecBehindTheStoresBack(path,
                          "CREATE TRIGGER boom BEFORE INSERT ON outbox WHEN NEW.webhook = 'boom' "
                          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  const Event e = MakeEvent("c", "x", Action::kEnter, 200);
  ASSERT_FALSE(store_->CommitCycle({}, {}, {{"w", e}, {"boom", e}}).ok());
  EXPECT_EQ(store_->GetBacklog("w")->pending, 1u);

  ASSERT_EQ(*store_->ReplayDeadLetters("w"), 2u);
  backlog = store_->GetBacklog("w");
  EXPECT_EQ(backlog->pending, 3u);
  EXPECT_EQ(backlog->dead_letters, 0u);
  EXPECT_EQ(backlog->oldest_created_ms, 102);

  // Rows added behind the store's back are not seen until the next Open: GetBacklog reads the
  // counts it keeps, it does not count the outbox.
  ExecBehindTheStoresBack(
      path,
      "INSERT INTO outbox (webhook, id, channel, action, client_id, connection_id, member_id, "
      "data, encoding, timestamp, observed_at, created_ms) "
      "VALUES ('w', 'i', 'c', 2, 'y', 'k', 'k:0', '', '', 1, 1, 300)");
  EXPECT_EQ(store_->GetBacklog("w")->pending, 3u);
  store_.reset();
  store_ = OpenStore(dir_.path() + "/state");
  EXPECT_EQ(store_->GetBacklog("w")->pending, 4u);
  EXPECT_EQ(store_->GetBacklog("v")->pending, 5u);
}

TEST_F(StateStoreTest, CheckFileSaysWhenTheDatabaseWasDeletedOrReplaced) {
  const std::string path = dir_.path() + "/state/presenced.db";
  EXPECT_TRUE(store_->CheckFile().ok());
  std::filesystem::rename(path, path + ".old");
  std::filesystem::copy_file(path + ".old", path);
  Status replaced = store_->CheckFile();
  ASSERT_FALSE(replaced.ok());
  EXPECT_NE(replaced.error().message.find(path + " was replaced by another file"),
            std::string::npos)
      << replaced.error().message;
  std::filesystem::remove(path);
  Status deleted = store_->CheckFile();
  ASSERT_FALSE(deleted.ok());
  EXPECT_NE(deleted.error().message.find(path + " was deleted while presenced was running"),
            std::string::npos)
      << deleted.error().message;
}

TEST_F(StateStoreTest, ErrorsNameTheFileAndSayReadOnlyPlainly) {
  const std::string path = dir_.path() + "/plain.db";
  Result<SqliteDb> db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("PRAGMA query_only=1").ok());
  Status refused = db->Exec("CREATE TABLE t (a)");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "state store " + path +
                                         ": attempt to write a readonly database (read-only: "
                                         "check the permissions of the file and of state.dir)");
}

// A file-size limit of 0 fails every write the way a full disk does: the commit fails with a
// plain message naming the file, and works again once the limit is lifted.
TEST_F(StateStoreTest, CommitFailsPlainlyWhenNothingCanBeWritten) {
  const auto old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit zero = old_limit;
  zero.rlim_cur = 0;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &zero), 0);
  const Event e = MakeEvent("c", "alice", Action::kEnter, 1000);
  Status failed = store_->CommitCycle({{"c", "snapshot"}}, {}, {{"w", e}});
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("state store " + dir_.path() + "/state/presenced.db: "),
            std::string::npos)
      << failed.error().message;
  EXPECT_NE(failed.error().message.find("disk full"), std::string::npos) << failed.error().message;
  EXPECT_EQ(store_->GetBacklog("w")->pending, 0u);
  ASSERT_TRUE(store_->CommitCycle({{"c", "snapshot"}}, {}, {{"w", e}}).ok());
  EXPECT_EQ(store_->GetBacklog("w")->pending, 1u);
}

TEST_F(StateStoreTest, StateDirLockIsExclusiveAndNamesTheHolder) {
  auto first = StateDirLock::Acquire(dir_.path() + "/state");
  ASSERT_TRUE(first.ok()) << first.error().message;
  // flock locks belong to the open file description, so a second open in this process conflicts
  // just as another process would.
  auto second = StateDirLock::Acquire(dir_.path() + "/state");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, "state.dir " + dir_.path() +
                                        "/state is locked by another presenced (pid " +
                                        std::to_string(getpid()) + ")");
  first->reset();
  EXPECT_TRUE(StateDirLock::Acquire(dir_.path() + "/state").ok());
}

}  // namespace
}  // namespace presenced
