#include "delivery/router.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

struct GlobCase {
  const char* pattern;
  const char* text;
  bool match;
};

class GlobTest : public ::testing::TestWithParam<GlobCase> {};

TEST_P(GlobTest, Matches) {
  const GlobCase& c = GetParam();
  EXPECT_EQ(GlobMatch(c.pattern, c.text), c.match) << c.pattern << " vs " << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, GlobTest,
    ::testing::Values(GlobCase{"*", "", true}, GlobCase{"*", "chat:lobby", true},
                      GlobCase{"chat:lobby", "chat:lobby", true},
                      GlobCase{"chat:lobby", "chat:lobby2", false},
                      GlobCase{"chat:*", "chat:lobby", true}, GlobCase{"chat:*", "chat:", true},
                      GlobCase{"chat:*", "chat", false}, GlobCase{"*:lobby", "chat:lobby", true},
                      GlobCase{"*:lobby", "chat:lobbyx", false}, GlobCase{"room-?", "room-1", true},
                      GlobCase{"room-?", "room-", false}, GlobCase{"room-?", "room-12", false},
                      GlobCase{"a*b*c", "axxbyyc", true}, GlobCase{"a*b*c", "axxbyy", false},
                      GlobCase{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaa", false},
                      GlobCase{"*x*", "abxcd", true}, GlobCase{"?*", "", false},
                      GlobCase{"", "", true}, GlobCase{"", "a", false},
                      GlobCase{"**", "abc", true}));

Event MakeEvent(const std::string& channel, Action action, const std::string& client) {
  Event e;
  e.channel = channel;
  e.action = action;
  e.client_id = client;
  return e;
}

WebhookConfig Hook(std::string name, std::vector<std::string> channels,
                   std::vector<Action> actions) {
  WebhookConfig w;
  w.name = std::move(name);
  w.channels = std::move(channels);
  w.actions = std::move(actions);
  return w;
}

TEST(RouteTest, FiltersByChannelGlobAndActionKeepingOrder) {
  const std::vector<WebhookConfig> hooks = {
      Hook("all", {"*"}, {Action::kEnter, Action::kLeave, Action::kUpdate, Action::kPresent}),
      Hook("rooms-leaves", {"room:*", "lobby"}, {Action::kLeave}),
      Hook("none", {"nomatch"}, {Action::kEnter})};
  const std::vector<Event> events = {
      MakeEvent("room:1", Action::kEnter, "a"), MakeEvent("room:1", Action::kLeave, "b"),
      MakeEvent("lobby", Action::kLeave, "c"), MakeEvent("other", Action::kLeave, "d"),
      MakeEvent("lobby", Action::kPresent, "e")};
  std::vector<std::string> got;
  for (const auto& entry : Route(hooks, events))
    got.push_back(entry.webhook + "/" + entry.event.client_id);
  EXPECT_EQ(got, (std::vector<std::string>{"all/a", "all/b", "rooms-leaves/b", "all/c",
                                           "rooms-leaves/c", "all/d", "all/e"}));
}

TEST(RouteTest, NoWebhooksOrNoEventsRouteNothing) {
  EXPECT_TRUE(Route({}, {MakeEvent("a", Action::kEnter, "x")}).empty());
  EXPECT_TRUE(Route({Hook("w", {"*"}, {Action::kEnter})}, {}).empty());
}

TEST(RouteTest, KafkaSinksAreRoutedLikeWebhooksAfterThem) {
  Config config;
  config.webhooks = {Hook("hook", {"*"}, {Action::kEnter})};
  KafkaConfig stream;
  stream.name = "stream";
  stream.channels = {"room:*"};
  stream.actions = {Action::kEnter, Action::kOccupied};
  stream.sync_every = Duration(60'000);
  config.kafka = {stream};
  const std::vector<SinkRoute> routes = SinkRoutes(config);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].name, "hook");
  EXPECT_EQ(routes[1].name, "stream");
  EXPECT_EQ(routes[1].sync_every, Duration(60'000));
  Event occupied = MakeEvent("room:1", Action::kOccupied, "");
  const std::vector<Event> events = {MakeEvent("room:1", Action::kEnter, "a"), occupied,
                                     MakeEvent("lobby", Action::kEnter, "b")};
  std::vector<std::string> got;
  for (const auto& entry : RouteToSinks(routes, events)) {
    got.push_back(entry.webhook + "/" + std::string(ActionName(entry.event.action)));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"hook/enter", "stream/enter", "stream/occupied",
                                           "hook/enter"}));
  EXPECT_EQ(SyncTargets(routes, {"stream"}, "room:9"), std::vector<std::string>{"stream"});
  EXPECT_TRUE(SyncTargets(routes, {"stream"}, "lobby").empty());
}

}  // namespace
}  // namespace presenced
