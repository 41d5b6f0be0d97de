// App with its parts injected (STYLE §9): a scripted presence source and an HTTP client that has
// no network, so the whole daemon loop runs in process.

#include "service/app.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "fake_http_client.h"
#include "fake_presence_source.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using testing::FakeSource;
using testing::MetricValue;
using testing::TempDir;
using testing::WaitFor;

class NoNetwork final : public HttpClient {
 public:
  HttpResult Send(const HttpRequest&) override {
    return TransportError{TransportFailure::kConnect, "no network in this test"};
  }
};

std::shared_ptr<const Config> ConfigWith(const std::string& state_dir,
                                         const std::string& channels) {
  const std::string yaml = "channels: " + channels +
                           "\npoll: {interval: 100ms}\nstate: {dir: " + state_dir +
                           "}\nhttp: {listen: '127.0.0.1:0'}\nmetrics: {per_channel: false}\n";
  auto config = ParseConfig(yaml, "app_test.yaml", [](const std::string& name) {
    return name == "ABLY_API_KEY" ? std::optional<std::string>("app.key:secret") : std::nullopt;
  });
  EXPECT_TRUE(config.ok()) << config.error().message;
  return std::make_shared<const Config>(std::move(*config));
}

TEST(AppTest, RunsOnTheInjectedPartsAndBuildsANewSourceOnAReload) {
  TempDir dir;
  const SystemClock clock;
  std::atomic<int> sources_made{0};
  std::atomic<int> http_clients_made{0};
  AppDeps deps;
  deps.load_config = [&](const std::string&) -> Result<Config> {
    return *ConfigWith(dir.path(), "[room:a, room:b]");
  };
  deps.clock = &clock;
  deps.metrics = std::make_unique<Metrics>(false);
  const Metrics& metrics = *deps.metrics;
  deps.notifier = std::make_unique<SystemdNotifier>("");
  deps.make_http = [&](const TlsOptions&) {
    ++http_clients_made;
    return std::make_unique<NoNetwork>();
  };
  deps.make_source = [&](const AblyConfig&, HttpClient&, Metrics&, const Clock&, AblyAuth&) {
    ++sources_made;
    auto source = std::make_unique<FakeSource>();
    source->Enter("room:a", "ann", "1");
    source->Enter("room:a", "bob", "2");
    source->Enter("room:b", "cy", "3");
    return source;
  };
  App app(ConfigWith(dir.path(), "[room:a]"), std::move(deps));
  std::atomic<int> exit_code{-1};
  std::thread run([&] { exit_code = app.Run(); });

  // The members come from the injected source; nothing went to the network.
  EXPECT_TRUE(WaitFor([&] { return MetricValue(metrics, "presenced_members") == 2; }));
  EXPECT_EQ(sources_made, 1);
  EXPECT_EQ(http_clients_made, 2);  // one for Ably, one for the webhooks

  // A reload builds the source again from the injected maker, with the new channel list.
  EXPECT_TRUE(app.RequestReload().ok());
  EXPECT_TRUE(WaitFor([&] { return MetricValue(metrics, "presenced_members") == 3; }));
  EXPECT_EQ(sources_made, 2);
  EXPECT_EQ(MetricValue(metrics, "presenced_channels"), 2);

  app.RequestStop();
  run.join();
  EXPECT_EQ(exit_code, 0);
}

}  // namespace
}  // namespace presenced
