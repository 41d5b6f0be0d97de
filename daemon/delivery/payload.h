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

// Returns the `format: ably` body: Ably's batched channel.presence envelope, channels in order of
// first appearance, each channel's events in order, serial "<batch_id>:<n>", item timestamp
// `batch_created_ms` (stable across retries). A channel's member events form one
// `presence.message` item with numeric actions; online/offline events go in `presence.client`
// items (action "online"/"offline"), and each sync is a `presence.sync` item whose `presence`
// holds the members with action 1 and whose data carries the sync's `id`. Each occupied/vacated
// is a `channel.occupied` / `channel.vacated` item of source `channel.lifecycle`, as Ably's
// channel lifecycle webhooks: data {channelId, name, site, id, timestamp, status: {isActive}}.
std::string AblyBody(std::string_view webhook, std::string_view batch_id, int64_t batch_created_ms,
                     const std::vector<Event>& events);

// Returns one item of the `format: ably` envelope holding `event` alone, as a Kafka message of
// sink `sink` carries it: serial is the event's id, timestamp its observedAt.
std::string AblyItem(std::string_view sink, const Event& event);

// Returns the `format: events` body: {"events":[<EventToJson>, …]}.
std::string EventsBody(const std::vector<Event>& events);

}  // namespace presenced
