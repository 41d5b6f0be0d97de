#pragma once

// Webhook request bodies and batch ids (CONTRACT §5). Pure functions, thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "presence/event.h"

namespace presenced {

// Returns the deterministic id of a batch: "msg_" + 32 lowercase hex characters of SHA-256 over
// the webhook name and the event ids, so the same batch has the same webhook-id on every retry,
// after a restart, and on a replica that formed the same batch.
std::string BatchId(std::string_view webhook, const std::vector<Event>& events);

// Returns the `format: ably` body: Ably's batched channel.presence envelope with one item per
// channel (channels in order of first appearance, events in order), serial "<batch_id>:<n>",
// item timestamp `batch_created_ms` (stable across retries) and numeric actions.
std::string AblyBody(std::string_view webhook, std::string_view batch_id, int64_t batch_created_ms,
                     const std::vector<Event>& events);

// Returns the `format: events` body: {"events":[<EventToJson>, …]}.
std::string EventsBody(const std::vector<Event>& events);

}  // namespace presenced
