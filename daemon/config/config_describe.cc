// DescribeConfig: the one-paragraph summary printed by `presenced --check-config`.

#include <cstdio>

#include "config/config_loader.h"
#include "config/value_parsers.h"

namespace presenced {
namespace {

using config_internal::FormatDuration;

std::string Count(size_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

std::string DescribeSources(const Config& config) {
  std::string text;
  if (!config.channels.empty()) text = Count(config.channels.size(), "channel", "channels");
  if (!config.discovery.prefixes.empty()) {
    if (!text.empty()) text += " + ";
    text += "discovery of " + Count(config.discovery.prefixes.size(), "prefix", "prefixes") +
            " every " + FormatDuration(config.discovery.interval);
  }
  return text;
}

std::string DescribePolling(const AblyConfig& ably, const PollConfig& poll) {
  std::string text = "polled every " + FormatDuration(poll.interval) + " (≤" +
                     std::to_string(ably.max_channels_per_request) + " per request, " +
                     std::to_string(ably.max_in_flight) + " in flight";
  if (ably.max_requests_per_second > 0) {
    char rate[32];
    std::snprintf(rate, sizeof(rate), "%g", ably.max_requests_per_second);
    text += ", ≤" + std::string(rate) + " requests/s";
  }
  text += ") from " + ably.endpoint;
  switch (ably.auth) {
    case AblyConfig::Auth::kBasic:
      text += " with a key";
      break;
    case AblyConfig::Auth::kBearer:
      text += " with a token that cannot be renewed";
      break;
    case AblyConfig::Auth::kTokenFile:
      text += " with a token from " + ably.token_file;
      break;
    case AblyConfig::Auth::kAuthUrl:
      text += " with tokens from " + config_internal::RedactUrl(ably.auth_url);
      break;
  }
  return text;
}

std::string DescribeWebhooks(const std::vector<WebhookConfig>& webhooks) {
  if (webhooks.empty()) return "no webhooks";
  std::string text = Count(webhooks.size(), "webhook", "webhooks") + " (";
  for (size_t i = 0; i < webhooks.size(); ++i) {
    if (i > 0) text += ", ";
    // A URL may carry credentials in its user info or query: show neither.
    text += webhooks[i].name + " → " + config_internal::RedactUrl(webhooks[i].url);
  }
  return text + ")";
}

// Names the proxies (without their user info) and the hosts that bypass them.
std::string DescribeProxy(const ProxyConfig& proxy) {
  if (proxy.https_proxy.empty() && proxy.http_proxy.empty()) return "";
  using config_internal::RedactUrl;
  std::string text = "; ";
  if (proxy.https_proxy == proxy.http_proxy) {
    text += "through proxy " + RedactUrl(proxy.https_proxy);
  } else {
    text +=
        "https through " + (proxy.https_proxy.empty() ? "no proxy" : RedactUrl(proxy.https_proxy)) +
        ", http through " + (proxy.http_proxy.empty() ? "no proxy" : RedactUrl(proxy.http_proxy));
  }
  if (!proxy.bypass.empty()) text += " (direct: " + proxy.bypass + ")";
  return text;
}

std::string DescribeHttp(const HttpConfig& http) {
  std::string text = "metrics on " + http.listen;
  if (http.tls.enabled()) {
    text += http.tls.client_ca_file.empty() ? " over TLS" : " over TLS with client certificates";
  }
  if (!http.basic_auth_users.empty()) {
    text += " with basic auth (" + Count(http.basic_auth_users.size(), "user", "users") + ")";
  }
  return text;
}

std::string DescribeKafka(const std::vector<KafkaConfig>& sinks) {
  std::string text = Count(sinks.size(), "kafka sink", "kafka sinks") + " (";
  for (size_t i = 0; i < sinks.size(); ++i) {
    if (i > 0) text += ", ";
    text += sinks[i].name + " → " + sinks[i].topic + " on " + sinks[i].brokers;
  }
  return text + ")";
}

}  // namespace

std::string DescribeConfig(const Config& config) {
  std::string text = "config " + config.path + " is valid: " + DescribeSources(config) + ", " +
                     DescribePolling(config.ably, config.poll) + "; " +
                     DescribeWebhooks(config.webhooks);
  if (!config.kafka.empty()) text += "; " + DescribeKafka(config.kafka);
  text += DescribeProxy(config.proxy);
  if (config.output.stdout_events) text += "; events on stdout";
  text += "; state in " + config.state.dir + "; " + DescribeHttp(config.http) + ".";
  return text;
}

}  // namespace presenced
