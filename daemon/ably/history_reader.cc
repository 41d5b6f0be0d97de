#include "ably/history_reader.h"

#include <spdlog/spdlog.h>

#include <string>

#include "ably/rest_request.h"

namespace presenced {
namespace {

constexpr int kMaxPages = 1000;
constexpr int kPageLimit = 1000;  // Ably's maximum

ChannelHistory Failed(const HistoryRequest& request, AblyError error) {
  ChannelHistory out;
  out.channel = request.channel;
  out.error = std::move(error);
  return out;
}

}  // namespace

ChannelHistory ReadHistory(AblyTransport& transport, Metrics& metrics,
                           const HistoryRequest& request, const std::atomic<bool>& cancel,
                           const SendCheck& first_page_check) {
  int limit = kPageLimit;
  auto first_page = [&] {
    return transport.base_path() + "/channels/" + PercentEncode(request.channel) +
           "/presence/history?start=" + std::to_string(request.start_ms) +
           "&end=" + std::to_string(request.end_ms) +
           "&direction=forwards&limit=" + std::to_string(limit);
  };
  std::string target = first_page();
  ChannelHistory out;
  out.channel = request.channel;
  for (int page = 0; page < kMaxPages; ++page) {
    AblyAnswer answer = transport.Get(target, cancel, page == 0 ? first_page_check : SendCheck{});
    if (answer.kind == AblyAnswer::Kind::kCancelled) {
      return Failed(request, {0, 0, "not fetched: cancelled"});
    }
    if (answer.kind == AblyAnswer::Kind::kNotSent) {
      ChannelHistory not_sent = Failed(request, std::move(answer.error));
      not_sent.out_of_retention = true;
      return not_sent;
    }
    if (answer.kind == AblyAnswer::Kind::kTooLarge && limit > 1) {
      limit /= 2;  // pages of big messages: smaller pages, from the first one again
      out.messages.clear();
      target = first_page();
      continue;
    }
    AblyError error;
    const size_t before = out.messages.size();
    if (!answer.ok()) {
      error = answer.error;
    } else if (!ParseHistoryPage(answer.response.body, out.messages, error)) {
      error.status_code = answer.response.status;
    } else {
      metrics.AddBillableMessages(out.messages.size() - before);
      const std::string next = NextLink(answer.response.headers);
      if (next.empty()) {
        out.ok = true;
        return out;
      }
      target = ResolveTarget(target, next);
      continue;
    }
    if (!IsCapabilityError(error)) {
      spdlog::warn("Ably presence history of channel {} (page {}) from {} failed: {}",
                   request.channel, page + 1, answer.host, error.message);
    }
    metrics.ChannelFetchError(error.code);
    return Failed(request, std::move(error));
  }
  metrics.ChannelFetchError(0);
  return Failed(request, {0, 0, "more than " + std::to_string(kMaxPages) + " history pages"});
}

}  // namespace presenced
