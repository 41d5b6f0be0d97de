// The hourly cost --check-ably prints (service/cost_estimate.h): requests and billed messages per
// hour in both modes, members of channels not seen counted as the average, and the smallest plan
// of ably/docs platform/pricing/limits each fits.

#include "service/cost_estimate.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

Config Snapshot(int interval_ms) {
  Config config;
  config.poll.interval = Duration(interval_ms);
  config.ably.batch_response_bytes = 0;
  return config;
}

TEST(CostEstimateTest, SnapshotModeBillsEveryMemberEveryCycle) {
  // 250 channels, 100 of them seen with 1,000 members: 2,500 members in all, 3 requests a cycle.
  CostInputs inputs;
  inputs.channels = 250;
  inputs.probed = 100;
  inputs.members = 1'000;
  const CostEstimate cost = EstimateHourlyCost(Snapshot(15'000), inputs);
  EXPECT_DOUBLE_EQ(cost.cycles_per_hour, 240);
  EXPECT_DOUBLE_EQ(cost.requests_per_cycle, 3);
  EXPECT_DOUBLE_EQ(cost.messages_per_cycle, 2'500);
  EXPECT_DOUBLE_EQ(cost.requests_per_hour, 3 * 240 + 6);  // + GET /time every 10 minutes
  EXPECT_DOUBLE_EQ(cost.messages_per_hour, 600'000);
}

TEST(CostEstimateTest, BigAnswersTakeMoreRequests) {
  Config config = Snapshot(15'000);
  config.ably.batch_response_bytes = 2 << 20;
  CostInputs inputs;
  inputs.channels = 100;
  inputs.probed = 100;
  inputs.answer_bytes = 10 << 20;  // 10 MiB a cycle: five requests of 2 MiB
  EXPECT_DOUBLE_EQ(EstimateHourlyCost(config, inputs).requests_per_cycle, 5);
}

TEST(CostEstimateTest, HistoryModeBillsChangesAndReconcilesAndDiscoveryAddsRequests) {
  Config config = Snapshot(15'000);
  config.presence.mode = PresenceConfig::Mode::kHistory;
  config.presence.reconcile_every = 20;
  config.discovery.prefixes = {"room:"};
  config.discovery.interval = Duration(60'000);
  CostInputs inputs;
  inputs.channels = 1'000;
  inputs.probed = 100;
  inputs.members = 10'000;                       // 100 members a channel
  inputs.discovered = {1'000};                   // one page a round
  inputs.changes_per_channel_second = 1.0 / 60;  // one change a minute on each channel
  const CostEstimate cost = EstimateHourlyCost(config, inputs);
  EXPECT_DOUBLE_EQ(cost.requests_per_cycle, 1'000 + 10.0 / 20);
  EXPECT_DOUBLE_EQ(cost.messages_per_cycle, 0.25 * 1'000 + 100'000.0 / 20);
  EXPECT_DOUBLE_EQ(cost.requests_per_hour, 1'000.5 * 240 + 60 + 6);
  EXPECT_DOUBLE_EQ(cost.messages_per_hour, 5'250 * 240);
}

TEST(CostEstimateTest, SaysTheSmallestPlanEachFigureFits) {
  CostEstimate cost;
  cost.requests_per_hour = 20'000;   // under Free's 25,000 and 50/s
  cost.messages_per_hour = 240'000;  // under 250,000 an hour, but 175 M a month > 6 M
  const std::vector<std::string> lines = DescribeCost(cost, CostInputs{});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("cost per hour: 20,000 requests, 240,000 billed messages"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("Free 25,000 (50/s) Standard 521,000 (362/s) Pro 2,083,300 (1,447/s)"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[1].find("Free 250,000 (500/s) Standard 5,208,000 (2,500/s) Pro 20,833,000"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("requests on Free and up, billed messages on Standard and up"),
            std::string::npos)
      << lines[2];
  cost.requests_per_hour = 3'000'000;
  cost.messages_per_hour = 1'000;
  const std::string fits = DescribeCost(cost, CostInputs{})[2];
  EXPECT_NE(fits.find("requests on only Enterprise"), std::string::npos) << fits;
  EXPECT_NE(fits.find("billed messages on Free and up"), std::string::npos) << fits;
}

TEST(CostEstimateTest, ThousandsSeparators) {
  EXPECT_EQ(Thousands(0), "0");
  EXPECT_EQ(Thousands(999), "999");
  EXPECT_EQ(Thousands(1'000), "1,000");
  EXPECT_EQ(Thousands(20'833'000), "20,833,000");
}

}  // namespace
}  // namespace presenced
