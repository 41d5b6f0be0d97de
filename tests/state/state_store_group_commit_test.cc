// Group commit of the outbox's batch and acknowledgement transactions
// (StateStore::Sync::kDeferred): what a crash of the process and a power loss leave behind. A crash
// is simulated by copying the database and its WAL while the store is still open (what write()
// handed the kernel); a power loss additionally cuts the WAL copy back to its length at its last
// fsync, which a VFS shim around SQLite's default one records (so a commit that skipped its fsync
// loses its data here).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "fakes/test_support.h"
#include "state/state_store.h"

namespace presenced {
namespace {

namespace fs = std::filesystem;
using Sync = StateStore::Sync;

// The default VFS with every xSync recorded: the file's size when it was last synced.
class SyncRecorder {
 public:
  static SyncRecorder& Install() {
    static SyncRecorder* recorder = new SyncRecorder();  // registered once, for the process
    return *recorder;
  }
  std::optional<int64_t> SyncedSize(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = synced_.find(path);
    return it == synced_.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
    std::string* path;
  };
  static SyncRecorder* self;

  SyncRecorder() {
    self = this;
    real_ = sqlite3_vfs_find(nullptr);
    vfs_ = *real_;
    vfs_.zName = "sync-recorder";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
    vfs_.xOpen = &Open;
    methods_ = {};
    methods_.iVersion = 3;
    methods_.xClose = [](sqlite3_file* f) {
      File* file = reinterpret_cast<File*>(f);
      const int rc = file->real->pMethods ? file->real->pMethods->xClose(file->real) : SQLITE_OK;
      delete file->path;
      return rc;
    };
    methods_.xRead = [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
      return Real(f)->pMethods->xRead(Real(f), b, n, o);
    };
    methods_.xWrite = [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
      return Real(f)->pMethods->xWrite(Real(f), b, n, o);
    };
    methods_.xTruncate = [](sqlite3_file* f, sqlite3_int64 n) {
      return Real(f)->pMethods->xTruncate(Real(f), n);
    };
    methods_.xSync = [](sqlite3_file* f, int flags) {
      const int rc = Real(f)->pMethods->xSync(Real(f), flags);
      sqlite3_int64 size = 0;
      if (rc == SQLITE_OK && Real(f)->pMethods->xFileSize(Real(f), &size) == SQLITE_OK) {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->synced_[*reinterpret_cast<File*>(f)->path] = size;
      }
      return rc;
    };
    methods_.xFileSize = [](sqlite3_file* f, sqlite3_int64* n) {
      return Real(f)->pMethods->xFileSize(Real(f), n);
    };
    methods_.xLock = [](sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); };
    methods_.xUnlock = [](sqlite3_file* f, int l) {
      return Real(f)->pMethods->xUnlock(Real(f), l);
    };
    methods_.xCheckReservedLock = [](sqlite3_file* f, int* r) {
      return Real(f)->pMethods->xCheckReservedLock(Real(f), r);
    };
    methods_.xFileControl = [](sqlite3_file* f, int op, void* arg) {
      return Real(f)->pMethods->xFileControl(Real(f), op, arg);
    };
    methods_.xSectorSize = [](sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); };
    methods_.xDeviceCharacteristics = [](sqlite3_file* f) {
      return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
    };
    methods_.xShmMap = [](sqlite3_file* f, int i, int n, int w, void volatile** p) {
      return Real(f)->pMethods->xShmMap(Real(f), i, n, w, p);
    };
    methods_.xShmLock = [](sqlite3_file* f, int o, int n, int fl) {
      return Real(f)->pMethods->xShmLock(Real(f), o, n, fl);
    };
    methods_.xShmBarrier = [](sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); };
    methods_.xShmUnmap = [](sqlite3_file* f, int d) {
      return Real(f)->pMethods->xShmUnmap(Real(f), d);
    };
    methods_.xFetch = [](sqlite3_file* f, sqlite3_int64 o, int n, void** p) {
      return Real(f)->pMethods->xFetch(Real(f), o, n, p);
    };
    methods_.xUnfetch = [](sqlite3_file* f, sqlite3_int64 o, void* p) {
      return Real(f)->pMethods->xUnfetch(Real(f), o, p);
    };
    sqlite3_vfs_register(&vfs_, /*makeDflt=*/1);
  }
  static sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }
  static int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
    File* file = reinterpret_cast<File*>(f);
    file->real = reinterpret_cast<sqlite3_file*>(file + 1);
    file->path = new std::string(name ? name : "");
    const int rc = self->real_->xOpen(self->real_, name, file->real, flags, out);
    file->base.pMethods = &self->methods_;
    return rc;
  }

  sqlite3_vfs* real_ = nullptr;
  sqlite3_vfs vfs_{};
  sqlite3_io_methods methods_{};
  std::mutex mu_;
  std::map<std::string, int64_t> synced_;
};
SyncRecorder* SyncRecorder::self = nullptr;

Event Enter(const std::string& client) {
  Event e;
  e.id = "id-" + client;
  e.channel = "c";
  e.action = Action::kEnter;
  e.client_id = client;
  e.connection_id = "conn";
  e.member_id = "conn:0:0";
  e.timestamp = 1;
  e.observed_at = 2;
  return e;
}

std::vector<std::string> ClientIds(const std::vector<StateStore::PendingEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& p : events) ids.push_back(p.event.client_id);
  return ids;
}

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SyncRecorder::Install();
    auto store = StateStore::Open(dir_.path() + "/state");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    std::vector<StateStore::OutboxEntry> entries;
    for (int i = 0; i < 6; ++i) entries.push_back({"w", Enter("m" + std::to_string(i))});
    ASSERT_TRUE(store_->CommitCycle({}, {}, entries).ok());  // durable: fsynced
    synced_wal_bytes_ = SyncedWalBytes();
    ASSERT_EQ(synced_wal_bytes_, fs::file_size(Wal())) << "a cycle's commit is fsynced";
  }

  // The WAL's length at its last fsync.
  uintmax_t SyncedWalBytes() {
    return static_cast<uintmax_t>(
        SyncRecorder::Install().SyncedSize(fs::canonical(Wal()).string()).value_or(0));
  }

  std::string Db() const { return dir_.path() + "/state/presenced.db"; }
  std::string Wal() const { return Db() + "-wal"; }

  // Forms the batch of the next `n` pending events and returns its seqs.
  std::vector<int64_t> Assign(const std::string& id, int n, Sync sync) {
    auto head = store_->PeekPending("w", n);
    EXPECT_TRUE(head.ok());
    std::vector<int64_t> seqs;
    for (const auto& p : *head) seqs.push_back(p.seq);
    EXPECT_TRUE(store_->AssignBatch("w", id, seqs, 10, sync).ok());
    return seqs;
  }

  // Copies the files as they are now into `to` (the store stays open: nothing is checkpointed
  // on the way), the WAL cut to `wal_bytes` when given; opens the copy.
  std::unique_ptr<StateStore> CopyAndOpen(const std::string& to,
                                          std::optional<uintmax_t> wal_bytes = std::nullopt) {
    fs::create_directories(to);
    fs::copy_file(Db(), to + "/presenced.db");
    fs::copy_file(Wal(), to + "/presenced.db-wal");
    if (wal_bytes) fs::resize_file(to + "/presenced.db-wal", *wal_bytes);
    auto store = StateStore::Open(to);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<StateStore> store_;
  uintmax_t synced_wal_bytes_ = 0;
};

TEST_F(GroupCommitTest, DeferredCommitsAreCountedUntilAnFsync) {
  EXPECT_EQ(store_->DeferredCommits(), 0u);
  Assign("b1", 2, Sync::kDeferred);
  ASSERT_TRUE(store_->CompleteBatch("w", Sync::kDeferred).ok());
  EXPECT_EQ(store_->DeferredCommits(), 2u);
  ASSERT_TRUE(store_->SyncDeferred().ok());
  EXPECT_EQ(store_->DeferredCommits(), 0u);
  EXPECT_GT(SyncedWalBytes(), synced_wal_bytes_) << "SyncDeferred fsynced the WAL";

  Assign("b2", 2, Sync::kDeferred);
  EXPECT_EQ(store_->DeferredCommits(), 1u);
  ASSERT_TRUE(store_->CompleteBatch("w", Sync::kDurable).ok());  // fsyncs what came before
  EXPECT_EQ(store_->DeferredCommits(), 0u);
  Assign("b3", 1, Sync::kDeferred);
  ASSERT_TRUE(store_->CommitCycle({{"c", "state"}}, {}, {}).ok());  // so does a cycle
  EXPECT_EQ(store_->DeferredCommits(), 0u);
}

TEST_F(GroupCommitTest, AProcessCrashLosesNoDeferredAcknowledgement) {
  Assign("b1", 2, Sync::kDeferred);
  ASSERT_TRUE(store_->CompleteBatch("w", Sync::kDeferred).ok());
  Assign("b2", 2, Sync::kDeferred);

  auto after = CopyAndOpen(dir_.path() + "/crash");
  ASSERT_NE(after, nullptr);
  auto batch = after->CurrentBatch("w");
  ASSERT_TRUE(batch.ok() && batch->has_value());
  EXPECT_EQ((*batch)->id, "b2");  // in flight: sent again with the same id
  EXPECT_EQ(ClientIds((*batch)->events), (std::vector<std::string>{"m2", "m3"}));
  EXPECT_EQ(ClientIds(*after->PeekPending("w", 10)), (std::vector<std::string>{"m4", "m5"}));
  EXPECT_EQ(after->GetBacklog("w")->pending, 4u);  // b1 stays acknowledged
}

TEST_F(GroupCommitTest, APowerLossLosesOnlyAcknowledgementsNeverEvents) {
  Assign("b1", 2, Sync::kDeferred);
  ASSERT_TRUE(store_->CompleteBatch("w", Sync::kDeferred).ok());
  Assign("b2", 2, Sync::kDeferred);
  ASSERT_TRUE(store_->CompleteBatch("w", Sync::kDeferred).ok());
  ASSERT_GT(fs::file_size(Wal()), synced_wal_bytes_) << "the deferred commits are in the WAL";
  EXPECT_EQ(SyncedWalBytes(), synced_wal_bytes_) << "and were not fsynced";

  // Everything written since the last fsync is gone: both acknowledgements, both batches.
  auto after = CopyAndOpen(dir_.path() + "/power", synced_wal_bytes_);
  ASSERT_NE(after, nullptr);
  EXPECT_FALSE(after->CurrentBatch("w")->has_value());
  EXPECT_EQ(ClientIds(*after->PeekPending("w", 10)),
            (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4", "m5"}))
      << "every event is still there, in order, and is delivered again";
  EXPECT_EQ(after->GetBacklog("w")->pending, 6u);
}

TEST_F(GroupCommitTest, APowerLossKeepsWhatAnFsyncCovered) {
  Assign("b1", 2, Sync::kDeferred);
  ASSERT_TRUE(store_->CompleteBatch("w", Sync::kDeferred).ok());
  ASSERT_TRUE(store_->CommitCycle({}, {}, {{"w", Enter("m6")}}).ok());  // fsyncs the WAL
  const uintmax_t synced = SyncedWalBytes();
  ASSERT_EQ(synced, fs::file_size(Wal()));
  Assign("b2", 2, Sync::kDeferred);
  ASSERT_TRUE(store_->CompleteBatch("w", Sync::kDeferred).ok());

  auto after = CopyAndOpen(dir_.path() + "/power", synced);
  ASSERT_NE(after, nullptr);
  EXPECT_FALSE(after->CurrentBatch("w")->has_value());
  EXPECT_EQ(ClientIds(*after->PeekPending("w", 10)),
            (std::vector<std::string>{"m2", "m3", "m4", "m5", "m6"}))
      << "b1's acknowledgement was fsynced with the cycle after it; b2 is sent again";
}

}  // namespace
}  // namespace presenced
