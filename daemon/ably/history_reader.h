#pragma once

// ReadHistory: one channel's presence history window through the AblyTransport (CONTRACT §1
// "Presence history"): GET /channels/{name}/presence/history?start=S&end=E&direction=forwards&
// limit=1000, following its `Link: rel="next"` pages as PageWalk allows (rest_request.h: links
// that stay on this channel's history resource, no page twice, at most 100 pages and 64 MiB of
// bodies). Items are billed one message each (presenced_ably_billable_messages_total) as pages
// arrive; a failed, unparsable or cut-short read is a failure of the whole window (no messages),
// counted in presenced_channel_fetch_errors_total and logged with the channel and the reason.
// `first_page_check` runs right before the first page is sent: when it refuses, nothing is sent
// and the outcome is out_of_retention (not a failure). A missing capability (40160) is not logged
// here: the caller says it once. Thread-safe (the transport is).

#include <atomic>

#include "ably/presence_source.h"
#include "ably/transport.h"
#include "metrics/metrics.h"

namespace presenced {

ChannelHistory ReadHistory(AblyTransport& transport, Metrics& metrics,
                           const HistoryRequest& request, const std::atomic<bool>& cancel,
                           const SendCheck& first_page_check = {});

}  // namespace presenced
