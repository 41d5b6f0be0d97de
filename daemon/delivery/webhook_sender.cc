#include "delivery/webhook_sender.h"

#include <algorithm>

#include "common/version.h"
#include "config/reserved_headers.h"
#include "delivery/payload.h"
#include "delivery/signer.h"
#include "net/retry_after.h"

namespace presenced {

HttpWebhookSender::HttpWebhookSender(WebhookConfig config, HttpClient& http, const Clock& clock)
    : config_(std::move(config)), http_(http), clock_(clock) {}

HttpRequest HttpWebhookSender::BuildRequest(const OutboxBatch& batch, int64_t now_ms) const {
  const bool ably = config_.format == WebhookConfig::Format::kAbly;
  HttpRequest request;
  request.method = "POST";
  request.url = config_.url;
  request.body = ably ? AblyBody(config_.name, batch.id, batch.created_ms, batch.events)
                      : EventsBody(batch.events);
  request.request_timeout = config_.timeout;
  request.connect_timeout = std::min(config_.timeout, Duration(4'000));
  // The body is ignored: a 2xx status line acknowledges the batch whatever follows it. At most
  // this much of a body is read (a longer one closes the connection instead).
  request.max_response_bytes = 1 << 20;
  request.accept_truncated = true;
  const int64_t timestamp = now_ms / 1000;
  request.headers = {{"Content-Type", "application/json"},
                     {"User-Agent", std::string("presenced/") + kVersion},
                     {"webhook-id", batch.id},
                     {"webhook-timestamp", std::to_string(timestamp)}};
  if (!config_.secret.empty()) {
    const std::string& secret = config_.secret.Reveal();
    request.headers.emplace_back(
        "webhook-signature", StandardWebhookSignature(secret, batch.id, timestamp, request.body));
    if (ably) request.headers.emplace_back("X-Ably-Signature", AblySignature(secret, request.body));
  }
  for (const auto& [name, value] : config_.headers) {
    if (!IsReservedWebhookHeader(name)) request.headers.emplace_back(name, value);
  }
  return request;
}

SendOutcome HttpWebhookSender::Send(const OutboxBatch& batch) {
  const HttpResult result = http_.Send(BuildRequest(batch, clock_.NowMs()));
  if (!result.ok()) return SendOutcome::Retry("error", "no response: " + result.error().message);
  const int status = result.response().status;
  if (status >= 200 && status < 300) return SendOutcome::Acknowledged(std::to_string(status));
  return SendOutcome::Retry(
      std::to_string(status), "HTTP " + std::to_string(status),
      ParseRetryAfter(result.response().Header("Retry-After"), clock_.NowMs()));
}

SinkConfig WebhookSink(const WebhookConfig& webhook, const WebhookSenderFactory& make_sender,
                       Metrics& metrics) {
  return {OutboxSettingsOf(webhook), [make_sender, webhook] { return make_sender(webhook); },
          [&metrics, name = webhook.name] {
            return std::make_unique<WebhookSinkMetrics>(metrics, name);
          }};
}

}  // namespace presenced
