#pragma once

// PresenceSource: where the poller gets snapshots from. The production implementation is the
// Ably REST client (rest_client.h); service tests may use a fake.

#include <atomic>
#include <string>
#include <vector>

#include "ably/batch_parser.h"
#include "common/result.h"

namespace presenced {

class PresenceSource {
 public:
  virtual ~PresenceSource() = default;
  // Fetches the presence of every channel (batched, concurrent, rate-capped). Returns exactly one
  // ChannelPresence per input channel, in input order; a failed request marks each of its channels
  // failed with the request's error. Stops starting new requests once `cancel` is set (channels
  // not fetched are reported failed). Thread-compatible: one call at a time.
  virtual std::vector<ChannelPresence> FetchPresence(const std::vector<std::string>& channels,
                                                     const std::atomic<bool>& cancel) = 0;
  // Lists the active channels whose names start with `prefix`, following every `Link: next` page.
  virtual Result<std::vector<std::string>> ListChannels(const std::string& prefix) = 0;
};

}  // namespace presenced
