#include "ably/rest_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ably/channel_list_parser.h"
#include "ably/host_selector.h"
#include "ably/request_pacer.h"
#include "ably/rest_request.h"
#include "net/url.h"

namespace presenced {
namespace {

// RSC15: retries on fallback hosts stop once this long has passed since the first attempt.
constexpr std::chrono::seconds kMaxRetryDuration{15};
constexpr int kMaxPages = 1000;
// Connections to Ably stay open between poll cycles (default interval 15 s), so a cycle does not
// pay a TLS handshake per request; a connection Ably closed sooner costs one transparent retry.
constexpr std::chrono::seconds kKeepAliveIdle{120};

const char* FailureName(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kConnect:
      return "connect";
    case TransportFailure::kTimeout:
      return "timeout";
    case TransportFailure::kTooLarge:
      return "response too large";
    case TransportFailure::kProtocol:
      return "protocol error";
  }
  return "unknown";
}

// Only network errors, timeouts and HTTP 500-504 may succeed on another host (RSC15); 4xx never.
bool Retryable(const HttpResult& result) {
  if (!result.ok()) {
    return result.error().failure == TransportFailure::kConnect ||
           result.error().failure == TransportFailure::kTimeout;
  }
  return result.response().status >= 500 && result.response().status <= 504;
}

// Resolves a `Link` URL against the path and query it came with; returns a path and query.
std::string ResolveTarget(const std::string& current, const std::string& reference) {
  Url base{"http", "h", 80, current};
  Result<Url> resolved = ParseUrl(ResolveReference(base, reference));
  return resolved.ok() ? resolved->target : reference;
}

// The answer to one logical request: the last attempt's result and the host that gave it.
struct Answer {
  HttpResult result;
  std::string host;
};

class AblyRestClient final : public PresenceSource {
 public:
  AblyRestClient(const AblyConfig& config, HttpClient& http, Metrics& metrics, const Clock& clock)
      : config_(config),
        http_(http),
        metrics_(metrics),
        clock_(clock),
        headers_(AblyRequestHeaders(config)),
        hosts_(config.fallback_hosts, clock),
        pacer_(config.max_requests_per_second, clock) {
    Result<Url> endpoint = ParseUrl(config.endpoint);
    if (!endpoint.ok()) {
      endpoint_error_ = "invalid endpoint: " + endpoint.error().message;
      return;
    }
    endpoint_ = *endpoint;
    base_path_ = endpoint_.target.substr(0, endpoint_.target.find('?'));
    while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  }

  void StreamPresence(const std::vector<std::string>& channels, const std::atomic<bool>& cancel,
                      const ChannelConsumer& consume) override;
  Result<std::vector<std::string>> ListChannels(const std::string& prefix) override;

 private:
  Answer Get(const std::string& target);
  std::string UrlFor(const std::string& host, const std::string& target) const;
  // Fetches channels[begin, end) in one request and hands every position to `consume`.
  void FetchBatch(const std::vector<std::string>& channels, size_t begin, size_t end,
                  const ChannelConsumer& consume);
  // Returns, for each position of channels[begin, end), its result in `parsed` (nullptr when the
  // response left it out).
  std::vector<const ChannelPresence*> MapResults(const BatchPresenceResult& parsed,
                                                 const std::vector<std::string>& channels,
                                                 size_t begin, size_t end) const;
  // Counts the batch's channels in the metrics; logs per-channel failures unless the request as
  // a whole failed (already logged).
  void Record(const std::vector<const ChannelPresence*>& results, const std::string& host,
              bool request_failed) const;

  const AblyConfig config_;
  HttpClient& http_;
  Metrics& metrics_;
  const Clock& clock_;
  const Headers headers_;
  Url endpoint_;
  std::string endpoint_error_;  // set when config.endpoint does not parse
  std::string base_path_;       // the endpoint's path without a trailing '/', often ""
  HostSelector hosts_;
  RequestPacer pacer_;
};

std::string AblyRestClient::UrlFor(const std::string& host, const std::string& target) const {
  if (host.empty()) return endpoint_.Authority() + target;
  std::string authority = endpoint_.scheme + "://" + host;
  const bool default_port = endpoint_.port == (endpoint_.scheme == "https" ? 443 : 80);
  if (host.find(':') == std::string::npos && !default_port) {
    authority += ":" + std::to_string(endpoint_.port);
  }
  return authority + target;
}

Answer AblyRestClient::Get(const std::string& target) {
  if (!endpoint_error_.empty()) {
    return {TransportError{TransportFailure::kConnect, endpoint_error_}, config_.endpoint};
  }
  HttpRequest request;
  request.headers = headers_;
  request.connect_timeout = config_.connect_timeout;
  request.request_timeout = config_.request_timeout;
  request.max_response_bytes = config_.max_response_bytes;
  request.keep_alive_idle = kKeepAliveIdle;
  const auto start = clock_.SteadyNow();
  std::optional<Answer> last;
  for (const std::string& host : hosts_.Order()) {
    if (last && clock_.SteadyNow() - start >= kMaxRetryDuration) break;
    request.url = UrlFor(host, target);
    const auto sent = clock_.SteadyNow();
    HttpResult result = http_.Send(request);
    const double seconds = std::chrono::duration<double>(clock_.SteadyNow() - sent).count();
    metrics_.ApiRequest(result.ok() ? std::to_string(result.response().status) : "error", seconds);
    const std::string host_name = host.empty() ? endpoint_.host : host;
    if (!Retryable(result)) {
      hosts_.Succeeded(host);
      return {std::move(result), host_name};
    }
    hosts_.Failed(host);
    spdlog::debug("Ably request to {} failed ({}); trying a fallback host if any", host_name,
                  result.ok() ? "HTTP " + std::to_string(result.response().status)
                              : std::string(FailureName(result.error().failure)));
    last = Answer{std::move(result), host_name};
  }
  return std::move(*last);
}

void AblyRestClient::StreamPresence(const std::vector<std::string>& channels,
                                    const std::atomic<bool>& cancel,
                                    const ChannelConsumer& consume) {
  const size_t per_request = static_cast<size_t>(std::max(1, config_.max_channels_per_request));
  const size_t batches = (channels.size() + per_request - 1) / per_request;
  std::vector<char> fetched(batches, 0);  // one writer per element
  std::atomic<size_t> next{0};
  auto worker = [&] {
    while (!cancel.load()) {
      const size_t batch = next.fetch_add(1);
      if (batch >= batches || !pacer_.Wait(cancel)) return;
      const size_t begin = batch * per_request;
      FetchBatch(channels, begin, std::min(channels.size(), begin + per_request), consume);
      fetched[batch] = 1;
    }
  };
  const size_t workers = std::min<size_t>(std::max(1, config_.max_in_flight), batches);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) {
    try {
      threads.emplace_back(worker);
    } catch (const std::system_error& e) {
      spdlog::warn("could not start a fetch thread ({}); continuing with fewer", e.what());
      break;
    }
  }
  worker();
  for (std::thread& thread : threads) thread.join();
  ChannelPresence cancelled;
  cancelled.error.message = "not fetched: cancelled";
  for (size_t batch = 0; batch < batches; ++batch) {
    if (fetched[batch]) continue;
    for (size_t i = batch * per_request; i < std::min(channels.size(), (batch + 1) * per_request);
         ++i) {
      cancelled.channel = channels[i];
      consume(i, cancelled);
    }
  }
}

void AblyRestClient::FetchBatch(const std::vector<std::string>& channels, size_t begin, size_t end,
                                const ChannelConsumer& consume) {
  const std::vector<std::string> names(channels.begin() + begin, channels.begin() + end);
  const std::optional<std::string> query = BatchPresenceQuery(names);
  auto fail_all = [&](const AblyError& error, const std::string& host) {
    ChannelPresence failed;
    failed.error = error;
    std::vector<const ChannelPresence*> results(end - begin, &failed);
    Record(results, host, true);
    for (size_t i = begin; i < end; ++i) {
      failed.channel = channels[i];
      consume(i, failed);
    }
  };
  if (!query) {
    spdlog::warn("Ably batch presence: no separator character is free for {} channel names",
                 end - begin);
    fail_all({0, 0, "no separator character is free for these channel names"}, endpoint_.host);
    return;
  }
  Answer answer = Get(base_path_ + "/presence?" + *query);
  if (!answer.result.ok()) {
    const TransportError& error = answer.result.error();
    spdlog::warn("Ably batch presence request to {} failed: {} ({})", answer.host,
                 FailureName(error.failure), error.message);
    fail_all({0, 0, std::string("request failed: ") + FailureName(error.failure)}, answer.host);
    return;
  }
  HttpResponse& response = answer.result.response();
  BatchPresenceResult parsed = ParseBatchPresence(
      response.status, response.body, response.Header("X-Ably-ErrorCode"),
      response.Header("X-Ably-ErrorMessage"), response.body.capacity() - response.body.size());
  std::string().swap(response.body);  // parsed: the body is no longer needed
  if (!parsed.ok) {
    spdlog::warn("Ably batch presence request to {} failed: HTTP {}, code {}: {}", answer.host,
                 response.status, parsed.error.code, parsed.error.message);
    fail_all(parsed.error, answer.host);
    return;
  }
  std::vector<const ChannelPresence*> results = MapResults(parsed, channels, begin, end);
  std::vector<ChannelPresence> missing;
  missing.reserve(end - begin);  // stable addresses for `results`
  for (size_t i = begin; i < end; ++i) {
    if (results[i - begin] != nullptr) continue;
    ChannelPresence& absent = missing.emplace_back();
    absent.channel = channels[i];
    absent.error = {0, 0, "channel missing from the batch response"};
    results[i - begin] = &absent;
  }
  Record(results, answer.host, false);
  for (size_t i = begin; i < end; ++i) consume(i, *results[i - begin]);
}

std::vector<const ChannelPresence*> AblyRestClient::MapResults(
    const BatchPresenceResult& parsed, const std::vector<std::string>& channels, size_t begin,
    size_t end) const {
  // A name may appear more than once in the input: every position gets the result.
  std::unordered_map<std::string_view, std::vector<size_t>> positions;
  for (size_t i = begin; i < end; ++i) positions[channels[i]].push_back(i);
  std::vector<const ChannelPresence*> results(end - begin, nullptr);
  for (const ChannelPresence& result : parsed.channels) {
    auto it = positions.find(result.channel);
    if (it == positions.end() || results[it->second.front() - begin] != nullptr) continue;
    for (size_t i : it->second) results[i - begin] = &result;
  }
  return results;
}

void AblyRestClient::Record(const std::vector<const ChannelPresence*>& results,
                            const std::string& host, bool request_failed) const {
  size_t failed = 0;
  const ChannelPresence* first_failed = nullptr;
  for (const ChannelPresence* result : results) {
    if (result->ok) {
      metrics_.AddBillableMessages(result->members.size());
      continue;
    }
    metrics_.ChannelFetchError(result->error.code);
    if (failed++ == 0) first_failed = result;
  }
  if (first_failed != nullptr && !request_failed) {
    spdlog::warn("Ably batch presence from {}: {} of {} channels failed (first: {}, code {}: {})",
                 host, failed, results.size(), first_failed->channel, first_failed->error.code,
                 first_failed->error.message);
  }
}

Result<std::vector<std::string>> AblyRestClient::ListChannels(const std::string& prefix) {
  std::string target =
      base_path_ + "/channels?prefix=" + PercentEncode(prefix) + "&by=id&limit=1000";
  std::vector<std::string> names;
  for (int page = 0; page < kMaxPages; ++page) {
    Answer answer = Get(target);
    if (!answer.result.ok()) {
      return Error{std::string("channel enumeration failed: request failed: ") +
                   FailureName(answer.result.error().failure)};
    }
    const HttpResponse& response = answer.result.response();
    if (response.status < 200 || response.status > 299) {
      // The batch parser's whole-failure path reads the error body and headers.
      const AblyError error =
          ParseBatchPresence(response.status, response.body, response.Header("X-Ably-ErrorCode"),
                             response.Header("X-Ably-ErrorMessage"))
              .error;
      return Error{"channel enumeration failed: HTTP " + std::to_string(response.status) +
                   ", code " + std::to_string(error.code) + ": " + error.message};
    }
    Status parsed = ParseChannelList(response.body, names);
    if (!parsed.ok()) return Error{"channel enumeration failed: " + parsed.error().message};
    const std::string next = NextLink(response.headers);
    if (next.empty()) return names;
    target = ResolveTarget(target, next);
  }
  return Error{"channel enumeration failed: more than " + std::to_string(kMaxPages) + " pages"};
}

}  // namespace

std::unique_ptr<PresenceSource> MakeAblyRestClient(const AblyConfig& config, HttpClient& http,
                                                   Metrics& metrics, const Clock& clock) {
  return std::make_unique<AblyRestClient>(config, http, metrics, clock);
}

}  // namespace presenced
