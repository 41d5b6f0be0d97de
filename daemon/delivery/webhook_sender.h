#pragma once

// The webhook sink (CONTRACT §5): HttpWebhookSender sends a batch as one signed POST, and
// WebhookSinkMetrics writes the presenced_webhook_* series. WebhookSink puts them together with
// the webhook's batch and retry settings for the Dispatcher.
//
// Outcomes: any 2xx is acknowledged, whatever its body; every other status, a timeout and a
// connection error is kRetry (with the receiver's Retry-After when it sent one), so a webhook is
// retried until give_up_after. A webhook never rejects a batch: a 4xx may be a receiver's passing
// misconfiguration, and CONTRACT §5 retries it like the rest.

#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "config/config.h"
#include "delivery/sender.h"
#include "metrics/metrics.h"
#include "net/http_client.h"

namespace presenced {

// HttpWebhookSender: one webhook's requests. The request carries Content-Type, User-Agent, the
// Standard Webhooks headers (webhook-id = the batch id, webhook-timestamp = this attempt, and
// with a secret webhook-signature, plus X-Ably-Signature for format: ably), the configured
// headers but the reserved ones, and the body in the webhook's format. The response body is
// ignored: a 2xx status line acknowledges the batch however big its body (reading stops at 1 MiB
// and the connection is closed).
//
// Thread-safety: as Sender (one Send at a time). Lifetime: `http` and `clock` must outlive it.
class HttpWebhookSender final : public Sender {
 public:
  HttpWebhookSender(WebhookConfig config, HttpClient& http, const Clock& clock);
  SendOutcome Send(const OutboxBatch& batch) override;
  // Returns the request for `batch` as an attempt at `now_ms` would send it.
  HttpRequest BuildRequest(const OutboxBatch& batch, int64_t now_ms) const;

 private:
  const WebhookConfig config_;
  HttpClient& http_;
  const Clock& clock_;
};

// WebhookSinkMetrics: the presenced_webhook_* series of one webhook. An attempt counts in
// presenced_webhook_requests_total{status} (the outcome's status: the HTTP status or "error")
// and in the delivery duration histogram. Thread-safe (Metrics is). Lifetime: `metrics` must
// outlive it.
class WebhookSinkMetrics final : public SinkMetrics {
 public:
  WebhookSinkMetrics(Metrics& metrics, std::string webhook)
      : metrics_(metrics), webhook_(std::move(webhook)) {}
  void Add() override { metrics_.AddWebhook(webhook_); }
  void Remove() override { metrics_.RemoveWebhook(webhook_); }
  void Attempt(const OutboxBatch&, const SendOutcome& outcome, double seconds) override {
    metrics_.WebhookRequest(webhook_, outcome.status, seconds);
  }
  void Delivered(uint64_t events) override { metrics_.WebhookDelivered(webhook_, events); }
  void SetBacklog(uint64_t pending, double oldest_age_seconds, uint64_t dead_letters) override {
    metrics_.SetWebhookBacklog(webhook_, pending, oldest_age_seconds, dead_letters);
  }

 private:
  Metrics& metrics_;
  const std::string webhook_;
};

// Makes a webhook's sender (HttpWebhookSender in production; a fake in tests).
using WebhookSenderFactory = std::function<std::unique_ptr<Sender>(const WebhookConfig&)>;

// Returns the SinkConfig that delivers to `webhook` with senders from `make_sender` and the
// webhook's series in `metrics` (which must outlive the sink's worker).
SinkConfig WebhookSink(const WebhookConfig& webhook, const WebhookSenderFactory& make_sender,
                       Metrics& metrics);

}  // namespace presenced
