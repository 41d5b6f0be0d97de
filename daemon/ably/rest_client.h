#pragma once

// The Ably REST client: the production PresenceSource (presence_source.h).
//
// StreamPresence splits the channels into batch presence requests of at most
// max_channels_per_request, runs up to max_in_flight of them at once, paced by
// max_requests_per_second, and hands each response's channels to the consumer as soon as it is
// parsed (the body is released first). Only transport failures (connect, timeout) and HTTP
// 500-504 are retried, on the fallback hosts (RSC15).
// Every attempt is counted in the metrics (requests by status, latency); fetched members are
// counted as billable messages and failed channels as fetch errors by Ably code. Logs never
// contain the credentials.

#include <memory>

#include "ably/presence_source.h"
#include "common/clock.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"

namespace presenced {

// Creates the client. `http`, `metrics` and `clock` must outlive it; `config` is copied.
std::unique_ptr<PresenceSource> MakeAblyRestClient(const AblyConfig& config, HttpClient& http,
                                                   Metrics& metrics, const Clock& clock);

}  // namespace presenced
