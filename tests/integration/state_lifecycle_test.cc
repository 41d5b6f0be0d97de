// The daemon's state dir and its stop, with the real binary: one daemon per state.dir (flock),
// a deleted database, failing commits (a file-size limit of 0 fails every write like a full
// disk), --dead-letters errors, and SIGTERM at random moments.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "test_seed.h"
#include "webhook_receiver.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class StateLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }

  std::string Config(const std::string& extra = "") const {
    return "ably:\n  endpoint: " + fake_.BaseUrl() +
           "\npoll:\n  interval: 100ms\noutput:\n  stdout: true\nchannels: [c0]\n" + extra;
  }

  std::unique_ptr<ChildProcess> Cli(const DaemonHarness& daemon, std::vector<std::string> args) {
    std::vector<std::string> argv{PRESENCED_BINARY, "--config", daemon.config_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<ChildProcess>(
        argv, std::map<std::string, std::string>{{"ABLY_API_KEY", kFakeKey}});
  }

  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
};

TEST_F(StateLifecycleTest, OneDaemonPerStateDir) {
  DaemonHarness daemon(dir_, Config());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  const std::string locked = "state.dir " + dir_.path() +
                             "/state is locked by another presenced (pid " +
                             std::to_string(daemon.process().pid()) + ")";

  auto second = Cli(daemon, {});
  EXPECT_EQ(second->Wait(seconds(20)), 1);
  EXPECT_NE(second->Stderr().find(locked), std::string::npos) << second->Stderr();

  auto replay = Cli(daemon, {"--replay-dead-letters", "main"});
  EXPECT_EQ(replay->Wait(seconds(20)), 1);
  EXPECT_NE(replay->Stderr().find(locked + "; stop it before --replay-dead-letters"),
            std::string::npos)
      << replay->Stderr();

  auto list = Cli(daemon, {"--dead-letters"});  // read-only: fine beside the daemon
  EXPECT_EQ(list->Wait(seconds(20)), 0) << list->Stderr();
  EXPECT_EQ(list->Stdout(), "no dead letters\n");

  daemon.process().Signal(SIGTERM);
  ASSERT_EQ(daemon.process().Wait(seconds(20)), 0);
  auto after = Cli(daemon, {"--replay-dead-letters", "main"});
  EXPECT_EQ(after->Wait(seconds(20)), 1);
  EXPECT_NE(after->Stderr().find("no webhook named main"), std::string::npos) << after->Stderr();
}

TEST_F(StateLifecycleTest, DeletedDatabaseStopsTheDaemonLoudly) {
  DaemonHarness daemon(dir_, Config());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  const std::string db = dir_.path() + "/state/presenced.db";
  ASSERT_TRUE(std::filesystem::remove(db));
  const auto code = daemon.process().Wait(seconds(20));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(daemon.process().Stderr().find("state store " + db +
                                           " was deleted while presenced was running"),
            std::string::npos)
      << daemon.process().Stderr();
}

TEST_F(StateLifecycleTest, DeadLettersReportsAnUnreadableStoreOnStderrWithExit1) {
  DaemonHarness daemon(dir_, Config());
  auto create = Cli(daemon, {"--dead-letters"});
  ASSERT_EQ(create->Wait(seconds(20)), 0) << create->Stderr();
  // One dead letter, then its table's root page overwritten: the store opens (counting reads
  // only the index), but listing reads the table and fails.
  const std::string db = dir_.path() + "/state/presenced.db";
  std::vector<int64_t> roots;
  int64_t page_size = 0;
  {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(handle,
                     "INSERT INTO dead_letters (seq, webhook, id, channel, action, client_id, "
                     "connection_id, member_id, data, encoding, timestamp, observed_at, "
                     "created_ms, batch_id, dead_ms, last_error) VALUES (1, 'main', 'i', "
                     "'c0', 2, 'a', 'k', 'k:0', '', '', 1, 1, 1, 'msg_1', 2, 'HTTP 500')",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_exec(handle, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(handle,
                       "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM "
                       "sqlite_master WHERE name = 'dead_letters'",
                       -1, &stmt, nullptr);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      roots.push_back(sqlite3_column_int64(stmt, 0));
      page_size = sqlite3_column_int64(stmt, 1);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(handle);
  }
  ASSERT_EQ(roots.size(), 1u);
  {
    std::fstream file(db, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(static_cast<size_t>(page_size), '\xee');
    for (int64_t root : roots) {
      file.seekp((root - 1) * page_size);
      file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
  }
  auto list = Cli(daemon, {"--dead-letters"});
  EXPECT_EQ(list->Wait(seconds(20)), 1);
  EXPECT_EQ(list->Stdout(), "");
  EXPECT_EQ(list->Stderr().rfind("presenced: state store " + db + ": ", 0), 0u) << list->Stderr();
}

// Every write fails (RLIMIT_FSIZE 0, set on the running daemon like a disk filling up): commits
// are counted as failures and /-/ready says so; once writes work again the events go out.
TEST_F(StateLifecycleTest, FailingCommitsAreCountedAndMakeTheDaemonUnready) {
  WebhookReceiver receiver;
  receiver.Start();
  DaemonHarness daemon(dir_, Config("webhooks:\n  - name: main\n    url: " + receiver.Url() +
                                    "\n    format: events\n    batch: {max_events: 10, "
                                    "max_delay: 10ms}\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  EXPECT_EQ(daemon.Metric("presenced_state_commit_failures_total"), 0);

  const rlimit none{0, RLIM_INFINITY};
  ASSERT_EQ(prlimit(daemon.process().pid(), RLIMIT_FSIZE, &none, nullptr), 0);
  fake_.Enter("c0", "alice", "conn-a", R"("x")");
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("presenced_state_commit_failures_total") >= 2; }));
  const HttpReply ready = Request(daemon.port(), "GET", "/-/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("state commits are failing"), std::string::npos) << ready.body;
  EXPECT_EQ(receiver.Count(), 0u);
  EXPECT_TRUE(daemon.process().StdoutLines().empty()) << "nothing is emitted before it commits";

  const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  ASSERT_EQ(prlimit(daemon.process().pid(), RLIMIT_FSIZE, &unlimited, nullptr), 0);
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(WaitFor([&] { return receiver.Count() >= 1; }));
  EXPECT_NE(receiver.Requests()[0].body.find(R"("clientId":"alice")"), std::string::npos);
  EXPECT_EQ(daemon.process().StdoutLines().size(), 1u);
}

// SIGTERM at random moments of a fast-cycling daemon: every stop goes through the normal path
// (dispatcher stopped, "stopped cleanly", exit 0). Two daemons at a time, 100 stops each.
TEST_F(StateLifecycleTest, SigtermAtRandomMomentsAlwaysStopsCleanly) {
  fake_.Enter("c0", "bob", "conn-b", R"("y")");
  std::mutex mu;
  std::vector<std::string> failures;
  auto lane = [&](uint64_t seed) {
    std::mt19937_64 random(seed);
    for (int i = 0; i < 100; ++i) {
      TempDir dir;
      DaemonHarness daemon(dir, Config());
      if (!daemon.Start()) {
        std::lock_guard lock(mu);
        failures.push_back("did not start: " + daemon.process().Stderr());
        continue;
      }
      std::this_thread::sleep_for(  // the random moment under test, not a wait for a condition
          milliseconds(std::uniform_int_distribution<int>(0, 250)(random)));
      daemon.process().Signal(SIGTERM);
      const auto code = daemon.process().Wait(seconds(20));
      const std::string err = daemon.process().Stderr();
      if (code != 0 || err.find("stopped cleanly") == std::string::npos) {
        std::lock_guard lock(mu);
        failures.push_back("seed " + std::to_string(seed) + " stop " + std::to_string(i) +
                           ": exit " + (code ? std::to_string(*code) : "none") + "\n" + err);
      }
    }
  };
  const uint64_t seed = FreshTestSeed();
  std::thread other(lane, seed + 1);
  lane(seed);
  other.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " unclean stops; first:\n"
                                << (failures.empty() ? "" : failures.front());
}

}  // namespace
}  // namespace presenced::testing
