#pragma once

// The Ably REST client: the production PresenceSource (presence_source.h).
//
// StreamPresence splits the channels into batch presence requests of at most
// max_channels_per_request, runs up to max_in_flight of them at once, and hands each response's
// channels to the consumer as soon as it is parsed (releasing them after). Requests go through
// AblyTransport (credentials and token renewal, the adaptive rate ceiling, fallback hosts). A batch
// whose answer is too big (over max_response_bytes, a 90010 "too many channels", a request URI over
// 8 KiB) is split in halves and the smaller size is kept for later cycles; a single channel still
// too big is read page by page with GET /channels/{name}/presence from then on. Fetched members are
// counted as billable messages and failed channels as fetch errors by Ably code. Logs never contain
// credentials.
//
// StreamPresenceViews hands a batch answer's channels over as views of its body (no member field
// copied; ParseBatchPresenceViews), on the fetch thread, before the body is released;
// StreamPresence is the same with owning copies. Each fetch thread reads its next batch answer into
// the storage of its last one (HttpRequest::body_buffer); a body over 8 MiB is given back instead
// of kept.
//
// StreamHistory reads each channel's presence history window with ReadHistory (history_reader.h),
// up to max_in_flight channels at once, through the same transport.
//
// ListChannels pages through GET /channels (enumeration): a 42912 (another enumeration of the
// app is running) is retried after a jittered wait on the Clock (the jitter drawn from the
// injected Random, which also orders the fallback hosts), a 40011 (pagination became invalid)
// starts again from the first page.

#include <memory>

#include "ably/auth.h"
#include "ably/presence_source.h"
#include "common/clock.h"
#include "common/random.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"

namespace presenced {

// Creates the client. `http`, `metrics`, `clock`, `random` and `auth` must outlive it; `config`
// is copied.
std::unique_ptr<PresenceSource> MakeAblyRestClient(const AblyConfig& config, HttpClient& http,
                                                   Metrics& metrics, const Clock& clock,
                                                   Random& random, AblyAuth& auth);

// Same, with credentials of its own (tests and tools that do not watch them).
std::unique_ptr<PresenceSource> MakeAblyRestClient(const AblyConfig& config, HttpClient& http,
                                                   Metrics& metrics, const Clock& clock,
                                                   Random& random);

}  // namespace presenced
