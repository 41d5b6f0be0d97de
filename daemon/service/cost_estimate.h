#pragma once

// What a config costs per hour against Ably (CONTRACT §1 "Cost", "Account limits"), from what
// `presenced --check-ably` just saw, next to the hourly limits of Ably's plans. Pure: no I/O.
//
// Per cycle (3,600 s / poll.interval cycles an hour):
//  - snapshot mode: ceil(channels / max_channels_per_request) batch requests (more when the
//    answers are big: about one per batch_response_bytes), billed one message per member;
//  - history mode: one history read per channel (one more per 1,000 messages) plus the batch
//    snapshot of every reconcile_every-th cycle, billed one message per history item (the change
//    rate seen on one channel, for every channel) plus the reconcile snapshots' members.
// Plus, per hour: one enumeration page per 1,000 channels of each discovery prefix every
// discovery.interval, and six GET /time (not billed). Members of channels not seen count as the
// average of those seen.

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace presenced {

// What the probes saw.
struct CostInputs {
  uint64_t channels = 0;             // channels this config polls (configured + discovered, shard)
  uint64_t probed = 0;               // channels whose presence was read
  uint64_t members = 0;              // members of those
  uint64_t answer_bytes = 0;         // bytes of those answers
  std::vector<uint64_t> discovered;  // per discovery prefix, channels found
  double changes_per_channel_second = 0;  // history mode: history items per second on one channel
};

struct CostEstimate {
  double requests_per_cycle = 0;
  double messages_per_cycle = 0;
  double cycles_per_hour = 0;
  double requests_per_hour = 0;  // HTTP API requests (token requests are not counted by Ably)
  double messages_per_hour = 0;  // billed messages
};

CostEstimate EstimateHourlyCost(const Config& config, const CostInputs& inputs);

// One of Ably's plans, as ably/docs `platform/pricing/limits.mdx` gives its limits (per account:
// more keys or apps do not raise them). 0 = unlimited or custom.
struct AblyPlan {
  const char* name;
  uint64_t requests_per_hour;   // "HTTP API requests (per hour)", token requests excluded
  double requests_per_second;   // "HTTP API request rate (per second)"
  uint64_t messages_per_hour;   // "Message count (per hour)"
  double messages_per_second;   // "Message rate (per second)"
  uint64_t messages_per_month;  // "Messages (per month)"
};
const std::vector<AblyPlan>& AblyPlans();

// The report's lines about cost: the hourly figures, the plans' limits, and the smallest plan
// each fits on ("Enterprise" when none of the others does).
std::vector<std::string> DescribeCost(const CostEstimate& estimate, const CostInputs& inputs);

// Formats a count with thousands separators: 1234567 → "1,234,567".
std::string Thousands(double value);

}  // namespace presenced
