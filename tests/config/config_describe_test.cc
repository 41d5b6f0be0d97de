// DescribeConfig: the --check-config summary.

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "config_test_helpers.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using testing::FakeEnv;
using testing::kTestKey;
using testing::kTestKeySecret;
using testing::MustParse;

TEST(DescribeConfigTest, SummarisesWithoutSecrets) {
  auto env = FakeEnv({{"ABLY_API_KEY", kTestKey}, {"S", kTestKeySecret}});
  Config config = MustParse(
      "channels: [a, b, c]\ndiscovery: {prefixes: ['room:']}\n"
      "webhooks:\n  - {name: main, url: 'https://hooks.example.com/p?token=t#f', secret_env: "
      "S}\n"
      "  - {name: crm, url: 'http://crm:8000/hook'}\n",
      env);
  config.path = "/etc/presenced/presenced.yaml";
  const std::string summary = DescribeConfig(config);
  EXPECT_EQ(summary,
            "config /etc/presenced/presenced.yaml is valid: 3 channels + discovery of 1 prefix "
            "every 1m, polled every 15s (≤100 per request, 4 in flight) from "
            "https://main.realtime.ably.net with a key; 2 webhooks (main → "
            "https://hooks.example.com, crm → http://crm:8000); state in "
            "/var/lib/presenced; metrics on 0.0.0.0:9847.");
  EXPECT_EQ(summary.find(kTestKeySecret), std::string::npos);

  Config small = MustParse(
      "ably: {token_env: T, max_requests_per_second: 2.5}\ndiscovery: {prefixes: [a, b], "
      "interval: 90s}\noutput: {stdout: true}\n",
      FakeEnv({{"T", "tok"}}));
  small.path = "p.yaml";
  EXPECT_EQ(DescribeConfig(small),
            "config p.yaml is valid: discovery of 2 prefixes every 90s, polled every 15s (≤100 "
            "per request, 4 in flight, ≤2.5 requests/s) from https://main.realtime.ably.net with "
            "a token that cannot be renewed; no webhooks; events on stdout; state in "
            "/var/lib/presenced; metrics on 0.0.0.0:9847.");
}

}  // namespace
}  // namespace presenced
