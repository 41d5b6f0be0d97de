#pragma once

// PresenceSource: where the poller gets snapshots from. The production implementation is the
// Ably REST client (rest_client.h); service tests may use a fake.
//
// The seam is a stream (snapshots, and presence history in `presence.mode: history`): each
// channel's outcome goes to a consumer as soon as its response has been parsed, so a cycle never
// holds every channel's parsed members at once (only the responses in flight), and the consumer can
// diff a channel while its members are still in cache.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ably/batch_parser.h"
#include "common/result.h"

namespace presenced {

// Receives the outcome of channel `index` (a position in the list given to StreamPresence). It is
// called exactly once per position, from fetch threads, concurrently for different positions;
// `presence` is valid only during the call.
using ChannelConsumer = std::function<void(size_t index, const ChannelPresence& presence)>;
// ChannelConsumer for StreamPresenceViews: the members are views, valid only during the call.
using ChannelViewConsumer = std::function<void(size_t index, const ChannelPresenceView& presence)>;

// One channel's presence history to read: messages with start_ms ≤ timestamp ≤ end_ms (Ably's
// timestamps: when Ably received each message).
struct HistoryRequest {
  std::string channel;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  // Ably keeps presence history this long (presence.history_retention); 0 = not checked. The
  // read is not sent when, at the moment it would leave, start_ms is already older than that on
  // Ably's clock: what Ably held of the window's start is gone (out_of_retention).
  int64_t retention_ms = 0;
};

// The outcome of one HistoryRequest: every message of the window in order when ok; else the
// error (a failed or partial read gives no messages at all).
struct ChannelHistory {
  std::string channel;
  bool ok = false;
  // Not sent: the window's start had left Ably's retention (see HistoryRequest::retention_ms).
  bool out_of_retention = false;
  AblyError error;
  std::vector<PresenceMessage> messages;
};

// Like ChannelConsumer, for StreamHistory: once per position of the request list.
using HistoryConsumer = std::function<void(size_t index, const ChannelHistory& history)>;

class PresenceSource {
 public:
  virtual ~PresenceSource() = default;
  // Fetches the presence of every channel (batched, concurrent, rate-capped) and hands each
  // outcome to `consume`, once per input position; a failed request reports each of its channels
  // failed with the request's error. Stops starting new requests once `cancel` is set (channels
  // not fetched are reported failed). Returns after the last call to `consume`.
  // Thread-compatible: one call at a time.
  virtual void StreamPresence(const std::vector<std::string>& channels,
                              const std::atomic<bool>& cancel, const ChannelConsumer& consume) = 0;
  // StreamPresence with each channel's members as views (of the response body while it is still
  // being read, where the source can): the consumer copies only what it keeps. By default, views
  // of what StreamPresence hands over.
  virtual void StreamPresenceViews(const std::vector<std::string>& channels,
                                   const std::atomic<bool>& cancel,
                                   const ChannelViewConsumer& consume) {
    StreamPresence(channels, cancel, [&consume](size_t index, const ChannelPresence& presence) {
      consume(index, ViewOf(presence));
    });
  }
  // Reads each channel's presence history window oldest first, page by page, with as much
  // concurrency and the same rate limits as StreamPresence, and hands each outcome to `consume`,
  // once per input position. Stops starting new reads once `cancel` is set (those are reported
  // failed). Returns after the last call to `consume`. Thread-compatible: one call at a time.
  virtual void StreamHistory(const std::vector<HistoryRequest>& requests,
                             const std::atomic<bool>& cancel, const HistoryConsumer& consume) = 0;
  // Lists the active channels whose names start with `prefix`, following every `Link: next` page.
  // Once `cancel` is set it sends no further request and waits no longer for a retry: it returns
  // an Error (a stop must not wait for a slow enumeration).
  virtual Result<std::vector<std::string>> ListChannels(const std::string& prefix,
                                                        const std::atomic<bool>& cancel) = 0;
  // ListChannels without a cancel.
  Result<std::vector<std::string>> ListChannels(const std::string& prefix) {
    const std::atomic<bool> never{false};
    return ListChannels(prefix, never);
  }
  // Returns Ably's time now (ms since the epoch), the clock history windows are computed on;
  // nullopt for a source without one (the caller then uses its own clock).
  virtual std::optional<int64_t> ServerNowMs() const { return std::nullopt; }
  // Tells the source the poll interval, so it can spread a cycle's requests over it (the Ably
  // client: rest_client.h). Called before the first cycle and again after each source rebuild;
  // 0 (the default until called) = no spreading.
  virtual void SetPollInterval(std::chrono::milliseconds interval) { (void)interval; }

  // Returns exactly one ChannelPresence per input channel, in input order (StreamPresence
  // collected; for callers that want every channel at once, such as --once).
  std::vector<ChannelPresence> FetchPresence(const std::vector<std::string>& channels,
                                             const std::atomic<bool>& cancel) {
    std::vector<ChannelPresence> out(channels.size());
    StreamPresence(channels, cancel, [&out](size_t index, const ChannelPresence& presence) {
      out[index] = presence;
    });
    return out;
  }
};

}  // namespace presenced
