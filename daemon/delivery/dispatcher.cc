#include "delivery/dispatcher.h"

#include <spdlog/spdlog.h>

#include <set>

#include "delivery/outbox_worker.h"

namespace presenced {

Dispatcher::Dispatcher(StateStore& store, HttpClient& http, Metrics& metrics, const Clock& clock,
                       Random& seeds)
    : Dispatcher(
          store, metrics, clock,
          [&http, &clock](const WebhookConfig& webhook) -> std::unique_ptr<Sender> {
            return std::make_unique<HttpWebhookSender>(webhook, http, clock);
          },
          [&seeds] { return std::make_unique<SeededRandom>(seeds.NextSeed()); }) {}

Dispatcher::Dispatcher(StateStore& store, Metrics& metrics, const Clock& clock,
                       WebhookSenderFactory make_sender, RandomFactory make_random)
    : store_(store),
      metrics_(metrics),
      clock_(clock),
      make_webhook_sender_(std::move(make_sender)),
      make_random_(std::move(make_random)) {}

Dispatcher::~Dispatcher() {
  Stop(std::chrono::milliseconds(0));
  MutexLock lock(mu_);
  for (auto& worker : retired_) worker->Join();
}

void Dispatcher::Configure(const std::vector<WebhookConfig>& webhooks,
                           std::vector<SinkConfig> others) {
  std::vector<SinkConfig> sinks;
  sinks.reserve(webhooks.size() + others.size());
  for (const WebhookConfig& webhook : webhooks) {
    sinks.push_back(WebhookSink(webhook, make_webhook_sender_, metrics_));
  }
  std::move(others.begin(), others.end(), std::back_inserter(sinks));
  ConfigureSinks(sinks);
}

void Dispatcher::ConfigureSinks(const std::vector<SinkConfig>& sinks) {
  MutexLock lock(mu_);
  if (stopped_) return;
  ReapRetired();
  std::set<std::string> wanted;
  for (const SinkConfig& sink : sinks) wanted.insert(sink.outbox.sink);
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    spdlog::info("{} {}: removed from the config; its pending events stay in the store",
                 it->second->kind(), it->first);
    it->second->Retire();  // removes its series; it never writes them again
    retired_.push_back(std::move(it->second));
    it = workers_.erase(it);
  }
  for (const SinkConfig& sink : sinks) {
    const std::string& name = sink.outbox.sink;
    if (auto it = workers_.find(name); it != workers_.end()) {
      it->second->Update(sink.outbox, sink.make_sender());
      continue;
    }
    // A sink removed and added back: its old worker may still be in a send.
    std::shared_ptr<ExitSignal> predecessor;
    for (const auto& old : retired_) {
      if (old->name() == name) predecessor = old->exit_signal();
    }
    auto worker =
        std::make_unique<OutboxWorker>(sink.outbox, sink.make_sender(), sink.make_metrics(), store_,
                                       clock_, make_random_(), std::move(predecessor));
    worker->Start();
    workers_.emplace(name, std::move(worker));
  }
}

void Dispatcher::Notify() {
  MutexLock lock(mu_);
  for (auto& [name, worker] : workers_) worker->Notify();
}

void Dispatcher::Stop(std::chrono::milliseconds in_flight_deadline) {
  MutexLock lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& [name, worker] : workers_) retired_.push_back(std::move(worker));
  workers_.clear();
  for (auto& worker : retired_) worker->RequestStop();
  const auto deadline = clock_.SteadyNow() + in_flight_deadline;
  for (auto& worker : retired_) {
    if (!worker->WaitStopped(deadline)) {
      spdlog::warn("{} {}: request still in progress at shutdown; its batch stays queued",
                   worker->kind(), worker->name());
      worker->Abandon();
    }
  }
  ReapRetired();
}

void Dispatcher::ReapRetired() {
  std::erase_if(retired_, [](const std::unique_ptr<OutboxWorker>& worker) {
    if (!worker->Stopped()) return false;
    worker->Join();  // it has left its loop: this returns at once
    return true;
  });
}

}  // namespace presenced
