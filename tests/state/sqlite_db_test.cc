// SqliteDb: the WAL does not stay at the size of the largest transaction it ever held.

#include "state/sqlite_db.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "fakes/test_support.h"

namespace presenced {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_size) : -1;
}

TEST(SqliteDbTest, TheWalShrinksBackAfterALargeTransaction) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/wal.db";
  Result<SqliteDb> db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                       "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)")
                  .ok());
  const std::string blob(64 << 10, 'x');
  Result<Statement> insert = db->Prepare("INSERT OR REPLACE INTO t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(insert.ok());
  // One 24 MiB transaction (a snapshot rewrite of a big channel set) ...
  ASSERT_TRUE(db->Exec("BEGIN").ok());
  for (int k = 0; k < 384; ++k) ASSERT_TRUE(insert->Bind(1, k).BindBlob(2, blob).Run().ok());
  ASSERT_TRUE(db->Exec("COMMIT").ok());
  ASSERT_GT(FileSize(path + "-wal"), 16 << 20);
  // ... then ordinary small cycles: checkpoints restart the WAL and truncate the file to 8 MiB.
  for (int cycle = 0; cycle < 600; ++cycle) {
    ASSERT_TRUE(insert->Bind(1, cycle % 8).BindBlob(2, blob).Run().ok());
  }
  EXPECT_LE(FileSize(path + "-wal"), 8 << 20);
}

}  // namespace
}  // namespace presenced
