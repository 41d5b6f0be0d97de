#include "service/cost_estimate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace presenced {
namespace {

constexpr double kTimeRequestsPerHour = 6;  // GET /time every 10 minutes
constexpr double kHistoryPage = 1000;       // items per history page, members per enumeration page
constexpr double kHoursPerMonth = 730;      // 365 × 24 / 12

// The smallest plan that takes `per_hour` and `per_second` (and `per_month` when given).
std::string SmallestPlan(bool messages, double per_hour) {
  const double per_second = per_hour / 3600;
  for (const AblyPlan& plan : AblyPlans()) {
    const uint64_t hourly = messages ? plan.messages_per_hour : plan.requests_per_hour;
    if (hourly == 0) return plan.name;  // unlimited or custom
    const double rate = messages ? plan.messages_per_second : plan.requests_per_second;
    if (per_hour > static_cast<double>(hourly) || per_second > rate) continue;
    if (messages && plan.messages_per_month > 0 &&
        per_hour * kHoursPerMonth > static_cast<double>(plan.messages_per_month)) {
      continue;
    }
    return plan.name;
  }
  return "Enterprise";
}

}  // namespace

std::string Thousands(double value) {
  const auto rounded = static_cast<long long>(std::llround(value));
  std::string digits = std::to_string(rounded < 0 ? -rounded : rounded);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return rounded < 0 ? "-" + out : out;
}

const std::vector<AblyPlan>& AblyPlans() {
  static const std::vector<AblyPlan> kPlans = {
      {"Free", 25'000, 50, 250'000, 500, 6'000'000},
      {"Standard", 521'000, 362, 5'208'000, 2'500, 0},
      {"Pro", 2'083'300, 1'447, 20'833'000, 10'000, 0},
      {"Enterprise", 0, 0, 0, 0, 0},
  };
  return kPlans;
}

CostEstimate EstimateHourlyCost(const Config& config, const CostInputs& inputs) {
  CostEstimate estimate;
  const double channels = static_cast<double>(inputs.channels);
  const double per_channel_members =
      inputs.probed > 0 ? static_cast<double>(inputs.members) / inputs.probed : 0;
  const double members = static_cast<double>(inputs.members) +
                         per_channel_members * std::max(0.0, channels - inputs.probed);
  const double per_channel_bytes =
      inputs.probed > 0 ? static_cast<double>(inputs.answer_bytes) / inputs.probed : 0;
  const double per_request = std::max(1, config.ably.max_channels_per_request);
  double snapshot_requests = std::ceil(channels / per_request);
  if (config.ably.batch_response_bytes > 0) {
    snapshot_requests = std::max(snapshot_requests,
                                 std::ceil(per_channel_bytes * channels /
                                           static_cast<double>(config.ably.batch_response_bytes)));
  }
  const double interval_s = static_cast<double>(config.poll.interval.count()) / 1000;
  estimate.cycles_per_hour = 3600 / interval_s;
  if (config.presence.mode == PresenceConfig::Mode::kHistory) {
    const double every = std::max(1, config.presence.reconcile_every);
    const double items = inputs.changes_per_channel_second * interval_s;  // per channel a cycle
    estimate.requests_per_cycle =
        channels * std::max(1.0, std::ceil(items / kHistoryPage)) + snapshot_requests / every;
    estimate.messages_per_cycle = items * channels + members / every;
  } else {
    estimate.requests_per_cycle = snapshot_requests;
    estimate.messages_per_cycle = members;
  }
  double discovery_per_hour = 0;
  const double rounds = 3600'000.0 / static_cast<double>(config.discovery.interval.count());
  for (uint64_t found : inputs.discovered) {
    discovery_per_hour +=
        rounds * std::max(1.0, std::ceil(static_cast<double>(found) / kHistoryPage));
  }
  estimate.requests_per_hour = estimate.requests_per_cycle * estimate.cycles_per_hour +
                               discovery_per_hour + kTimeRequestsPerHour;
  estimate.messages_per_hour = estimate.messages_per_cycle * estimate.cycles_per_hour;
  return estimate;
}

std::vector<std::string> DescribeCost(const CostEstimate& estimate, const CostInputs& inputs) {
  std::vector<std::string> lines;
  char rates[160];
  std::snprintf(rates, sizeof rates, "%.1f requests/s, %.1f messages/s on average",
                estimate.requests_per_hour / 3600, estimate.messages_per_hour / 3600);
  lines.push_back("cost per hour: " + Thousands(estimate.requests_per_hour) + " requests, " +
                  Thousands(estimate.messages_per_hour) + " billed messages (" + rates + "; " +
                  Thousands(estimate.cycles_per_hour) + " cycles an hour of " +
                  Thousands(estimate.requests_per_cycle) + " requests and " +
                  Thousands(estimate.messages_per_cycle) + " messages, " +
                  Thousands(static_cast<double>(inputs.channels)) + " channels, " +
                  Thousands(static_cast<double>(inputs.members)) + " members seen on " +
                  Thousands(static_cast<double>(inputs.probed)) + ")");
  std::string limits =
      "Ably's hourly limits per account (ably/docs platform/pricing/limits): HTTP API requests";
  std::string messages = "; messages";
  for (const AblyPlan& plan : AblyPlans()) {
    if (plan.requests_per_hour == 0) continue;
    limits += std::string(" ") + plan.name + " " + Thousands(plan.requests_per_hour) + " (" +
              Thousands(plan.requests_per_second) + "/s)";
    messages += std::string(" ") + plan.name + " " + Thousands(plan.messages_per_hour) + " (" +
                Thousands(plan.messages_per_second) + "/s)";
  }
  lines.push_back(limits + messages + "; Free also 6,000,000 messages a month; Enterprise: custom");
  auto fits = [](const std::string& plan) {
    return plan == "Enterprise" ? "only Enterprise (custom limits)" : plan + " and up";
  };
  lines.push_back("fits: requests on " + fits(SmallestPlan(false, estimate.requests_per_hour)) +
                  ", billed messages on " + fits(SmallestPlan(true, estimate.messages_per_hour)) +
                  " (" + Thousands(estimate.messages_per_hour * kHoursPerMonth) +
                  " messages a month)");
  return lines;
}

}  // namespace presenced
