#include "ably/history_reader.h"

#include <spdlog/spdlog.h>

#include <string>

#include "ably/rest_request.h"
#include "common/log_fields.h"

namespace presenced {
namespace {

constexpr int kPageLimit = 1000;  // Ably's maximum
// Bounds of one read (one channel's window): 100,000 messages, and the bodies' bytes, so a
// server that keeps answering (new next links, big pages) cannot hold a cycle or the memory.
constexpr int kMaxPages = 100;
constexpr uint64_t kMaxReadBytes = 64ull << 20;

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
  PageWalk walk(first_page(), kMaxPages, kMaxReadBytes);
  ChannelHistory out;
  out.channel = request.channel;
  while (true) {
    AblyAnswer answer =
        transport.Get(walk.target(), cancel, walk.page() == 1 ? first_page_check : SendCheck{});
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
      walk.Restart(first_page());
      continue;
    }
    AblyError error;
    const size_t before = out.messages.size();
    const int page = walk.page();
    if (!answer.ok()) {
      error = answer.error;
    } else if (!ParseHistoryPage(answer.response.body, out.messages, error)) {
      error.status_code = answer.response.status;
    } else {
      metrics.AddBillableMessages(out.messages.size() - before);
      Result<bool> more = walk.Next(answer.response);
      if (more.ok() && *more) continue;
      if (more.ok()) {
        out.ok = true;
        return out;
      }
      error = {0, answer.response.status, more.error().message};
    }
    // The whole window fails (a partial read could hide a leave or an enter): it is read again
    // next cycle, and a reconcile corrects the channel meanwhile. A missing capability is said
    // once by the caller.
    if (!IsCapabilityError(error)) {
      const LogFields fields{
          {"channel", request.channel}, {"host", answer.host}, {"code", error.code}};
      spdlog::warn("Ably presence history of channel {} failed at page {} from {}: {}",
                   request.channel, page, answer.host, error.message);
    }
    metrics.ChannelFetchError(error.code);
    return Failed(request, std::move(error));
  }
}

}  // namespace presenced
