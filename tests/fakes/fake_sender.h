#pragma once

// FakeSink: a sink for tests of the outbox worker and the Dispatcher, without HTTP. It makes
// Senders (MakeSender) that record every batch and answer with scripted outcomes, and
// SinkMetrics (MakeMetrics) that record what the worker reported. Hold() makes sends block until
// Release(), so a test can keep a batch in flight. Thread-safe.
//
// Lifetime: the FakeSink must outlive the senders and metrics it made; Release() any hold
// before destroying a worker that may be in a Send (its destructor joins the worker).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "delivery/sender.h"

namespace presenced::testing {

class FakeSink {
 public:
  struct Backlog {
    uint64_t pending = 0;
    double oldest_age_seconds = 0;
    uint64_t dead_letters = 0;
  };

  // Queues the outcome of the next send (after those queued before).
  void Push(SendOutcome outcome) {
    std::lock_guard lock(mu_);
    queued_.push_back(std::move(outcome));
  }
  // Sets the outcome of every send once the queue is empty (at first: acknowledged, "200").
  void SetDefault(SendOutcome outcome) {
    std::lock_guard lock(mu_);
    default_ = std::move(outcome);
  }
  // Makes sends block (after recording their batch) until Release.
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    held_ = false;
    hold_from_ = SIZE_MAX;
    cv_.notify_all();
  }
  // Lets the sends before the `send`-th (1-based) through and holds that one and later ones,
  // like Hold, until Release.
  void HoldFrom(size_t send) {
    std::lock_guard lock(mu_);
    hold_from_ = send;
  }

  // Every batch handed to a sender of this sink, in order.
  std::vector<OutboxBatch> Batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  size_t Sends() const {
    std::lock_guard lock(mu_);
    return batches_.size();
  }
  int InFlight() const {
    std::lock_guard lock(mu_);
    return in_flight_;
  }
  // Client ids of the batches the senders acknowledged, in order.
  std::vector<std::string> Acknowledged() const {
    std::lock_guard lock(mu_);
    return acknowledged_;
  }

  // What the worker reported through SinkMetrics.
  std::vector<std::string> AttemptStatuses() const {
    std::lock_guard lock(mu_);
    return statuses_;
  }
  uint64_t Delivered() const {
    std::lock_guard lock(mu_);
    return delivered_;
  }
  std::optional<Backlog> LastBacklog() const {
    std::lock_guard lock(mu_);
    return backlog_;
  }
  bool SeriesExist() const {
    std::lock_guard lock(mu_);
    return series_;
  }

  std::unique_ptr<Sender> MakeSender() { return std::make_unique<FakeSender>(*this); }
  std::unique_ptr<SinkMetrics> MakeMetrics() { return std::make_unique<FakeMetrics>(*this); }

 private:
  class FakeSender final : public Sender {
   public:
    explicit FakeSender(FakeSink& sink) : sink_(sink) {}
    SendOutcome Send(const OutboxBatch& batch) override { return sink_.Send(batch); }

   private:
    FakeSink& sink_;
  };
  class FakeMetrics final : public SinkMetrics {
   public:
    explicit FakeMetrics(FakeSink& sink) : sink_(sink) {}
    void Add() override {
      Locked([](FakeSink& s) { s.series_ = true; });
    }
    void Remove() override {
      Locked([](FakeSink& s) { s.series_ = false; });
    }
    void Attempt(const OutboxBatch&, const SendOutcome& outcome, double) override {
      Locked([&](FakeSink& s) { s.statuses_.push_back(outcome.status); });
    }
    void Delivered(uint64_t events) override {
      Locked([&](FakeSink& s) { s.delivered_ += events; });
    }
    void SetBacklog(uint64_t pending, double age, uint64_t dead) override {
      Locked([&](FakeSink& s) { s.backlog_ = Backlog{pending, age, dead}; });
    }

   private:
    template <typename F>
    void Locked(F f) {
      std::lock_guard lock(sink_.mu_);
      f(sink_);
    }
    FakeSink& sink_;
  };

  SendOutcome Send(const OutboxBatch& batch) {
    std::unique_lock lock(mu_);
    batches_.push_back(batch);
    ++in_flight_;
    const size_t number = batches_.size();
    cv_.wait(lock, [&] { return !held_ && number < hold_from_; });
    --in_flight_;
    SendOutcome outcome = default_;
    if (!queued_.empty()) {
      outcome = std::move(queued_.front());
      queued_.pop_front();
    }
    if (outcome.kind == SendOutcome::Kind::kAcknowledged) {
      for (const Event& e : batch.events) acknowledged_.push_back(e.client_id);
    }
    return outcome;
  }

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::deque<SendOutcome> queued_;
  SendOutcome default_ = SendOutcome::Acknowledged("200");
  bool held_ = false;
  size_t hold_from_ = SIZE_MAX;
  int in_flight_ = 0;
  std::vector<OutboxBatch> batches_;
  std::vector<std::string> acknowledged_;
  std::vector<std::string> statuses_;
  uint64_t delivered_ = 0;
  std::optional<Backlog> backlog_;
  bool series_ = false;
};

}  // namespace presenced::testing
