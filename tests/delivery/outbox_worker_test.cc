// The outbox worker with a fake sink: a real StateStore in a temp dir, FakeClock time, a fixed
// random number, no HTTP. The test moves the clock and sees the worker's waits through
// FakeClock::EarliestWait instead of sleeping.

#include "delivery/outbox_worker.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "common/log_fields.h"
#include "delivery/dead_letters.h"
#include "delivery/payload.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_random.h"
#include "fakes/fake_sender.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using std::chrono::milliseconds;
using testing::FakeSink;
using testing::WaitFor;

std::vector<std::string> Names(int from, int to) {
  std::vector<std::string> names;
  for (int i = from; i < to; ++i) names.push_back("m" + std::to_string(i));
  return names;
}

std::vector<std::string> ClientIds(const OutboxBatch& batch) {
  std::vector<std::string> ids;
  for (const Event& e : batch.events) ids.push_back(e.client_id);
  return ids;
}

class OutboxWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.kind = "test";
    settings_.sink = "s";
    settings_.batch = {2, milliseconds(10)};
    settings_.retry = {milliseconds(1'000), milliseconds(4'000), std::chrono::hours(1)};
    Reopen();
  }
  void TearDown() override {
    sink_.Release();
    worker_.reset();
  }

  // Opens the store again, as a restart does (the worker stops first).
  void Reopen() {
    worker_.reset();
    store_.reset();
    auto store = StateStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
  }

  void StartWorker() {
    worker_ =
        std::make_unique<OutboxWorker>(settings_, sink_.MakeSender(), sink_.MakeMetrics(), *store_,
                                       clock_, std::make_unique<testing::FakeRandom>(0.5));
    worker_->Start();
  }

  // Commits one event per client id to the sink's outbox and wakes the worker.
  void Commit(const std::vector<std::string>& names) {
    std::vector<StateStore::OutboxEntry> entries;
    for (const std::string& name : names) {
      Event e;
      e.channel = "c";
      e.action = Action::kEnter;
      e.client_id = name;
      e.connection_id = "conn";
      e.member_id = "conn:" + name;
      e.timestamp = clock_.NowMs();
      e.observed_at = clock_.NowMs();
      e.id = EventId(e.channel, e.client_id, e.connection_id, e.action, e.member_id);
      entries.push_back({"s", e});
    }
    ASSERT_TRUE(store_->CommitCycle({}, {}, entries).ok());
    if (worker_) worker_->Notify();
  }

  // Waits until the worker waits on the clock for exactly `wait`.
  bool WaitsFor(milliseconds wait) {
    return WaitFor([&] { return clock_.EarliestWait() == wait; });
  }
  bool WaitAcknowledged(const std::vector<std::string>& want) {
    return WaitFor([&] { return sink_.Acknowledged().size() >= want.size(); }) &&
           sink_.Acknowledged() == want;
  }
  uint64_t DeadLetters() { return store_->GetBacklog("s")->dead_letters; }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  FakeSink sink_;
  OutboxSettings settings_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<OutboxWorker> worker_;
};

TEST_F(OutboxWorkerTest, DeliversBatchesInOrderOneAtATime) {
  StartWorker();
  EXPECT_TRUE(sink_.SeriesExist());
  const int64_t committed_ms = clock_.NowMs();
  Commit(Names(0, 5));
  // Two full batches go at once; the partial third waits for batch.max_delay.
  ASSERT_TRUE(WaitAcknowledged(Names(0, 4)));
  ASSERT_TRUE(WaitsFor(milliseconds(10)));
  EXPECT_EQ(sink_.Sends(), 2u);
  clock_.Advance(milliseconds(10));
  ASSERT_TRUE(WaitAcknowledged(Names(0, 5)));

  const std::vector<OutboxBatch> batches = sink_.Batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(ClientIds(batches[0]), Names(0, 2));
  EXPECT_EQ(ClientIds(batches[1]), Names(2, 4));
  EXPECT_EQ(ClientIds(batches[2]), Names(4, 5));
  for (const OutboxBatch& b : batches) {
    EXPECT_EQ(b.sink, "s");
    EXPECT_EQ(b.attempt, 1);
    EXPECT_EQ(b.id, BatchId("s", b.events));
  }
  EXPECT_EQ(batches[0].created_ms, committed_ms);
  EXPECT_EQ(batches[2].created_ms, committed_ms + 10);
  EXPECT_TRUE(WaitFor([&] {
    return sink_.Delivered() == 5 && sink_.LastBacklog() && sink_.LastBacklog()->pending == 0;
  }));
  EXPECT_EQ(sink_.AttemptStatuses(), (std::vector<std::string>{"200", "200", "200"}));
  EXPECT_EQ(store_->GetBacklog("s")->pending, 0u);
}

// Group commit: on a clock that does not move, only the first batch's commit is fsynced; the
// acknowledgements and batches after it within OutboxWorker::kGroupCommitWindow are not, until
// the worker runs out of events and fsyncs them together.
TEST_F(OutboxWorkerTest, AcknowledgementsWithinTheWindowAreFsyncedTogetherWhenIdle) {
  sink_.HoldFrom(3);
  StartWorker();
  Commit(Names(0, 6));
  ASSERT_TRUE(WaitFor([&] { return sink_.Sends() == 3; }));
  // Batch 1 formed (fsynced), acknowledged (deferred); batch 2 formed, acknowledged; batch 3
  // formed: four commits wait for an fsync while batch 3 is being sent.
  EXPECT_EQ(store_->DeferredCommits(), 4u);
  EXPECT_EQ(sink_.Acknowledged(), Names(0, 4));
  sink_.Release();
  ASSERT_TRUE(WaitAcknowledged(Names(0, 6)));
  EXPECT_TRUE(WaitFor([&] { return store_->DeferredCommits() == 0; }))
      << "an idle worker leaves nothing waiting for an fsync";
  EXPECT_EQ(store_->GetBacklog("s")->pending, 0u);

  // Past the window, the next commit is fsynced again, and with it everything before.
  clock_.Advance(OutboxWorker::kGroupCommitWindow);
  sink_.HoldFrom(4);
  Commit(Names(6, 8));
  ASSERT_TRUE(WaitFor([&] { return sink_.Sends() == 4; }));
  EXPECT_EQ(store_->DeferredCommits(), 0u) << "batch 4 was formed past the window: fsynced";
  sink_.Release();
  ASSERT_TRUE(WaitAcknowledged(Names(0, 8)));
  EXPECT_TRUE(WaitFor([&] { return store_->DeferredCommits() == 0; }));
}

// Full jitter with the random number fixed at 0.5: the n-th wait is half of
// min(initial * 2^(n-1), max).
TEST_F(OutboxWorkerTest, RetriesWithBackoffUnderTheSameBatchId) {
  sink_.SetDefault(SendOutcome::Retry("503", "HTTP 503"));
  StartWorker();
  Commit(Names(0, 2));
  for (int64_t wait : {500, 1'000, 2'000, 2'000}) {
    ASSERT_TRUE(WaitsFor(milliseconds(wait))) << "after send " << sink_.Sends();
    const size_t sent = sink_.Sends();
    clock_.Advance(milliseconds(wait));
    ASSERT_TRUE(WaitFor([&] { return sink_.Sends() > sent; }));
  }
  sink_.SetDefault(SendOutcome::Acknowledged("204"));
  ASSERT_TRUE(WaitsFor(milliseconds(2'000)));
  EXPECT_EQ((*store_->CurrentBatch("s"))->attempts, 5);
  EXPECT_EQ((*store_->CurrentBatch("s"))->last_error, "HTTP 503");
  clock_.Advance(milliseconds(2'000));
  ASSERT_TRUE(WaitAcknowledged(Names(0, 2)));

  const std::vector<OutboxBatch> batches = sink_.Batches();
  ASSERT_EQ(batches.size(), 6u);
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(batches[i].id, batches[0].id);
    EXPECT_EQ(batches[i].created_ms, batches[0].created_ms);
    EXPECT_EQ(batches[i].attempt, static_cast<int64_t>(i + 1));
  }
  EXPECT_TRUE(WaitFor([&] { return sink_.Delivered() == 2; }));
  EXPECT_EQ(sink_.AttemptStatuses(),
            (std::vector<std::string>{"503", "503", "503", "503", "503", "204"}));
}

// Keeps the LogFields of every warning logged while it is the default logger's sink (they are
// the logging thread's, read as the line is written).
class FieldsSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> Warnings() {
    std::lock_guard lock(mutex_);
    return warnings_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level != spdlog::level::warn) return;
    std::string fields;
    for (const LogField& field : LogFields::Current()) {
      fields += (fields.empty() ? "" : " ") + field.key + "=" + field.value;
    }
    warnings_.push_back(fields);
  }
  void flush_() override {}

 private:
  std::vector<std::string> warnings_;
};

// README "Logging": a failed delivery's lines carry the sink (its kind as the key: `webhook`,
// `kafka`), the batch and the attempt as JSON fields.
TEST_F(OutboxWorkerTest, AFailedAttemptLogsTheSinkTheBatchAndTheAttemptAsFields) {
  auto fields = std::make_shared<FieldsSink>();
  struct Restore {
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    ~Restore() { spdlog::set_default_logger(previous); }
  } restore;
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("fields", fields));
  settings_.kind = "kafka";
  sink_.SetDefault(SendOutcome::Retry("error", "brokers unreachable"));
  StartWorker();
  Commit(Names(0, 2));
  ASSERT_TRUE(WaitsFor(milliseconds(500)));
  worker_.reset();  // no line logged from here on
  const std::string batch = sink_.Batches().at(0).id;
  ASSERT_FALSE(fields->Warnings().empty());
  EXPECT_EQ(fields->Warnings().front(), "kafka=s batch=" + batch + " attempt=1");
}

TEST_F(OutboxWorkerTest, HonoursRetryAfterBeyondTheBackoff) {
  settings_.retry.initial_backoff = milliseconds(1);
  settings_.retry.max_backoff = milliseconds(2);
  sink_.Push(SendOutcome::Retry("429", "HTTP 429", milliseconds(3'000)));
  StartWorker();
  Commit(Names(0, 2));
  ASSERT_TRUE(WaitsFor(milliseconds(3'000)));
  clock_.Advance(milliseconds(2'999));
  ASSERT_TRUE(WaitsFor(milliseconds(1)));
  EXPECT_EQ(sink_.Sends(), 1u);
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(WaitAcknowledged(Names(0, 2)));
  EXPECT_EQ(sink_.Sends(), 2u);
}

TEST_F(OutboxWorkerTest, GivesUpAfterGiveUpAfterAndReplaysTheDeadLetters) {
  settings_.retry = {milliseconds(1'000), milliseconds(1'000), milliseconds(60'000)};
  sink_.SetDefault(SendOutcome::Retry("500", "HTTP 500"));
  StartWorker();
  Commit(Names(0, 2));
  ASSERT_TRUE(WaitsFor(milliseconds(500)));
  clock_.Advance(milliseconds(60'000));  // the next failure is past give_up_after
  ASSERT_TRUE(WaitFor([&] { return DeadLetters() == 2; }));
  EXPECT_EQ(sink_.Sends(), 2u);
  EXPECT_FALSE(store_->CurrentBatch("s")->has_value());
  EXPECT_TRUE(WaitFor([&] {
    const auto backlog = sink_.LastBacklog();
    return backlog && backlog->dead_letters == 2 && backlog->pending == 0;
  }));
  EXPECT_EQ(sink_.Delivered(), 0u);
  const std::string described = *DescribeDeadLetters(*store_);
  EXPECT_NE(described.find("s: 2 events"), std::string::npos) << described;
  EXPECT_NE(described.find("HTTP 500"), std::string::npos) << described;

  sink_.SetDefault(SendOutcome::Acknowledged("200"));
  ASSERT_EQ(*ReplayDeadLetters(*store_, "s"), 2u);
  worker_->Notify();
  ASSERT_TRUE(WaitAcknowledged(Names(0, 2)));
  EXPECT_EQ(sink_.Batches().back().attempt, 1) << "a replay starts the batch afresh";
  EXPECT_TRUE(WaitFor([&] {
    const auto backlog = sink_.LastBacklog();
    return sink_.Delivered() == 2 && backlog && backlog->dead_letters == 0;
  }));
  EXPECT_EQ(DeadLetters(), 0u);
}

// A sink's kRejected (no webhook returns it) dead-letters the batch without retrying, and the
// worker goes on with the next one.
TEST_F(OutboxWorkerTest, ARejectedBatchIsDeadLetteredAtOnce) {
  sink_.Push(SendOutcome::Rejected("invalid", "message too large"));
  StartWorker();
  Commit(Names(0, 4));
  ASSERT_TRUE(WaitAcknowledged(Names(2, 4)));
  EXPECT_EQ(sink_.Sends(), 2u);
  EXPECT_EQ(DeadLetters(), 2u);
  EXPECT_EQ(sink_.AttemptStatuses(), (std::vector<std::string>{"invalid", "200"}));
  const std::string described = *DescribeDeadLetters(*store_);
  EXPECT_NE(described.find("message too large"), std::string::npos) << described;
}

TEST_F(OutboxWorkerTest, AnAbandonedSendLeavesItsBatchForTheNextStartUnderTheSameId) {
  sink_.Hold();
  StartWorker();
  Commit(Names(0, 4));
  ASSERT_TRUE(WaitFor([&] { return sink_.InFlight() == 1; }));
  worker_->RequestStop();
  EXPECT_FALSE(worker_->WaitStopped(clock_.SteadyNow())) << "the send is still in progress";
  worker_->Abandon();
  sink_.Release();  // the sink acknowledges, but the worker was told to discard it
  ASSERT_TRUE(WaitFor([&] { return worker_->Stopped(); }));
  worker_->Join();
  EXPECT_TRUE(sink_.AttemptStatuses().empty()) << "an abandoned outcome is not recorded";
  EXPECT_EQ(sink_.Delivered(), 0u);
  const std::string in_flight_id = sink_.Batches()[0].id;

  Reopen();
  const auto stored = store_->CurrentBatch("s");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->id, in_flight_id);
  EXPECT_EQ((*stored)->attempts, 0);
  EXPECT_EQ(store_->GetBacklog("s")->pending, 4u);

  StartWorker();
  ASSERT_TRUE(WaitFor([&] { return sink_.Sends() == 3 && sink_.Acknowledged().size() == 6; }));
  const std::vector<OutboxBatch> batches = sink_.Batches();
  EXPECT_EQ(batches[1].id, in_flight_id);
  EXPECT_EQ(ClientIds(batches[1]), Names(0, 2));
  EXPECT_EQ(ClientIds(batches[2]), Names(2, 4));
  EXPECT_NE(batches[2].id, in_flight_id);
  EXPECT_TRUE(WaitFor([&] { return store_->GetBacklog("s")->pending == 0; }));
}

// A send in progress at Retire finishes and is recorded in the store, but the removed series are
// never written again.
TEST_F(OutboxWorkerTest, RetireRemovesTheSeriesAndARetiredSendStillCompletes) {
  sink_.Hold();
  StartWorker();
  Commit(Names(0, 2));
  ASSERT_TRUE(WaitFor([&] { return sink_.InFlight() == 1; }));
  worker_->Retire();
  EXPECT_FALSE(sink_.SeriesExist());
  sink_.Release();
  ASSERT_TRUE(WaitFor([&] { return worker_->Stopped(); }));
  EXPECT_EQ(store_->GetBacklog("s")->pending, 0u) << "the acknowledged batch left the outbox";
  EXPECT_TRUE(sink_.AttemptStatuses().empty());
  EXPECT_EQ(sink_.Delivered(), 0u);
}

}  // namespace
}  // namespace presenced
