#include "delivery/dispatcher.h"

#include <spdlog/spdlog.h>

#include <set>

#include "delivery/webhook_worker.h"

namespace presenced {

Dispatcher::Dispatcher(StateStore& store, HttpClient& http, Metrics& metrics, const Clock& clock)
    : store_(store), http_(http), metrics_(metrics), clock_(clock) {}

Dispatcher::~Dispatcher() {
  Stop(std::chrono::milliseconds(0));
  std::lock_guard lock(mu_);
  for (auto& worker : retired_) worker->Join();
}

void Dispatcher::Configure(const std::vector<WebhookConfig>& webhooks) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  ReapRetired();
  std::set<std::string> wanted;
  for (const WebhookConfig& config : webhooks) wanted.insert(config.name);
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (wanted.count(it->first) != 0) {
      ++it;
      continue;
    }
    spdlog::info("webhook {}: removed from the config; its pending events stay in the store",
                 it->first);
    it->second->Retire();  // removes its series; it never writes them again
    retired_.push_back(std::move(it->second));
    it = workers_.erase(it);
  }
  for (const WebhookConfig& config : webhooks) {
    if (auto it = workers_.find(config.name); it != workers_.end()) {
      it->second->Update(config);
      continue;
    }
    // A webhook removed and added back: its old worker may still be in a request.
    std::shared_ptr<ExitSignal> predecessor;
    for (const auto& old : retired_) {
      if (old->name() == config.name) predecessor = old->exit_signal();
    }
    metrics_.AddWebhook(config.name);
    auto worker = std::make_unique<WebhookWorker>(config, store_, http_, metrics_, clock_,
                                                  std::move(predecessor));
    worker->Start();
    workers_.emplace(config.name, std::move(worker));
  }
}

void Dispatcher::Notify() {
  std::lock_guard lock(mu_);
  for (auto& [name, worker] : workers_) worker->Notify();
}

void Dispatcher::Stop(std::chrono::milliseconds in_flight_deadline) {
  std::lock_guard lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& [name, worker] : workers_) retired_.push_back(std::move(worker));
  workers_.clear();
  for (auto& worker : retired_) worker->RequestStop();
  const auto deadline = std::chrono::steady_clock::now() + in_flight_deadline;
  for (auto& worker : retired_) {
    if (!worker->WaitStopped(deadline)) {
      spdlog::warn("webhook {}: request still in progress at shutdown; its batch stays queued",
                   worker->name());
      worker->Abandon();
    }
  }
  ReapRetired();
}

void Dispatcher::ReapRetired() {
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(retired_, [&](const std::unique_ptr<WebhookWorker>& worker) {
    if (!worker->WaitStopped(now)) return false;
    worker->Join();  // it has left its loop: this returns at once
    return true;
  });
}

}  // namespace presenced
