// The status page and JSON at a glance (issue 22, CONTRACT §6): ready or not and why, uptime, the
// last cycle, the last hour, sinks of any kind or "none configured", stale channels first with
// why, newest-first events in both, member identities only with http.status_members, and every
// outside field cut with a marker so that the page stays under 256 KiB.

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "web/status.h"

namespace presenced {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;
constexpr int64_t kNow = kStart + 3'725'000;  // up 1h 2m 5s

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

Poco::JSON::Object::Ptr Parse(const std::string& json) {
  return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

struct Fixture {
  std::vector<SinkStatus> sinks;
  std::optional<std::string> not_ready;
  StatusModel model{StatusInputs{[this] { return sinks; }, [this] { return not_ready; }, kStart}};
};

Event MakeTestEvent(const std::string& channel, Action action, const std::string& client,
                    int64_t at) {
  Event event;
  event.id = std::to_string(at) + "0123456789abcdef";
  event.channel = channel;
  event.action = action;
  event.client_id = client;
  event.connection_id = "conn-" + client;
  event.member_id = "conn-" + client + ":0:0";
  event.data = R"({"secret":"data-of-)" + client + R"("})";
  event.timestamp = at;
  event.observed_at = at;
  return event;
}

ChannelStatus Channel(const std::string& name, bool stale) {
  ChannelStatus c;
  c.name = name;
  c.members = stale ? 0 : 2;
  c.clients = stale ? 0 : 2;
  c.stale = stale;
  c.last_success_ms = stale ? 0 : kNow - 1000;
  if (stale) {
    c.last_error_ms = kNow - 2000;
    c.last_error_code = 40160;
    c.last_error = "channel denied: <capability>";
  }
  return c;
}

TEST(StatusPageTest, ReadyUptimeLastCycleLastHourAndPhoneMarkup) {
  Fixture f;
  f.model.SetSummary("presenced 1.0", "config ok", false);
  f.model.AddEvents({MakeTestEvent("a", Action::kEnter, "u1", kNow - 5000),
                     MakeTestEvent("a", Action::kEnter, "u2", kNow - 5000),
                     MakeTestEvent("a", Action::kLeave, "u1", kNow - 4000)},
                    kNow - 4000);
  f.model.CycleFinished({kNow - 3000, 0.25, true, 10, 2, 7, {{40160, 2, "denied"}}});
  std::string html = f.model.Html(1, kNow);
  EXPECT_TRUE(Has(html, "<html lang=\"en\">")) << html;
  EXPECT_TRUE(
      Has(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
  EXPECT_TRUE(Has(html, "<p class=\"state ready\">Ready</p>")) << html;
  EXPECT_TRUE(Has(html, "Up 1h 2m")) << html;
  EXPECT_TRUE(Has(html, "took 0.250s (longer than poll.interval); 2 of 10 channels failed"));
  EXPECT_TRUE(Has(html, "1 of 1 cycle took longer than poll.interval")) << html;
  EXPECT_TRUE(Has(html, "enter 2 · leave 1")) << html;
  EXPECT_TRUE(Has(html, "<td>40160</td><td class=\"num\">2</td><td>denied</td>")) << html;
  // Absolute time on hover, table headers with scope, a chart without JavaScript.
  EXPECT_TRUE(Has(html, "<time datetime=\"2023-11-14T23:15:22Z\" title=\"2023-11-14T23:15:22Z\">"))
      << html;
  EXPECT_TRUE(Has(html, "<th scope=\"col\">"));
  EXPECT_TRUE(Has(html, "<th scope=\"row\">last cycle</th>"));
  EXPECT_TRUE(Has(html, "<svg viewBox=\"0 0 640 150\" role=\"img\""));
  EXPECT_EQ(Count(html, "<title>"), 1u + 60u);  // the page's, one per minute of the chart
  EXPECT_FALSE(Has(html, "<script"));

  f.not_ready = "Ably credentials: 40101 invalid key";
  html = f.model.Html(1, kNow);
  EXPECT_TRUE(Has(html,
                  "<p class=\"state notready\">Not ready: Ably credentials: 40101 invalid "
                  "key</p>"))
      << html;
  const auto json = Parse(f.model.Json(kNow));
  EXPECT_FALSE(json->getValue<bool>("ready"));
  EXPECT_EQ(json->getValue<std::string>("notReady"), "Ably credentials: 40101 invalid key");
  EXPECT_EQ(json->getValue<int64_t>("uptimeSeconds"), 3725);
  EXPECT_EQ(json->getValue<int>("overruns"), 1);
  EXPECT_TRUE(json->getObject("lastCycle")->getValue<bool>("overrun"));
  const auto hour = json->getObject("lastHour");
  EXPECT_EQ(hour->getObject("events")->getValue<int>("enter"), 2);
  EXPECT_EQ(hour->getArray("ablyErrors")->getObject(0)->getValue<int>("code"), 40160);
  EXPECT_EQ(hour->getArray("perMinute")->size(), 60u);

  // An hour later the hour is empty again.
  const int64_t later = kNow + 3'600'000;
  EXPECT_TRUE(Has(f.model.Html(1, later), "<th scope=\"row\">events, last hour</th><td>none"));
  EXPECT_EQ(Parse(f.model.Json(later))->getObject("lastHour")->getArray("ablyErrors")->size(), 0u);
}

TEST(StatusPageTest, SinksOfAnyKindOrNoneConfigured) {
  Fixture f;
  EXPECT_TRUE(Has(f.model.Html(1, kNow), "<h2>Sinks</h2><p>none configured</p>"));
  EXPECT_EQ(Parse(f.model.Json(kNow))->getArray("sinks")->size(), 0u);

  f.sinks = {{"webhook", "main", 3, 4.5, 1, "HTTP 503"}, {"kafka", "stream", 7, 1.0, 0, ""}};
  const std::string html = f.model.Html(1, kNow);
  EXPECT_TRUE(Has(html, "<td class=\"k\">webhook</td><td>main</td><td class=\"num\">3</td>"))
      << html;
  EXPECT_TRUE(Has(html, "<td class=\"k\">kafka</td><td>stream</td><td class=\"num\">7</td>"));
  const auto json = Parse(f.model.Json(kNow));
  ASSERT_EQ(json->getArray("sinks")->size(), 2u);
  EXPECT_EQ(json->getArray("sinks")->getObject(1)->getValue<std::string>("kind"), "kafka");
  EXPECT_EQ(json->getArray("sinks")->getObject(0)->getValue<std::string>("lastError"), "HTTP 503");
  // "webhooks" keeps its shape: the webhook rows only.
  ASSERT_EQ(json->getArray("webhooks")->size(), 1u);
  EXPECT_EQ(json->getArray("webhooks")->getObject(0)->getValue<int>("pending"), 3);
}

TEST(StatusPageTest, StaleChannelsComeFirstWithWhyAndTheJsonHasTheLastError) {
  Fixture f;
  f.model.PublishChannels({Channel("ok:1", false), Channel("broken:1", true)});
  const std::string html = f.model.Html(1, kNow);
  const size_t stale = html.find("<h2>Stale channels (1)</h2>");
  ASSERT_NE(stale, std::string::npos) << html;
  EXPECT_LT(stale, html.find("<h2>Recent events"));
  EXPECT_LT(stale, html.find("<h2>Channels (page"));
  EXPECT_TRUE(Has(html, "code 40160: channel denied: &lt;capability&gt; (<time")) << html;

  const auto channels = Parse(f.model.Json(kNow))->getArray("channels");
  const auto broken = channels->getObject(0);  // by name
  EXPECT_EQ(broken->getValue<std::string>("name"), "broken:1");
  EXPECT_EQ(broken->getValue<std::string>("lastError"), "channel denied: <capability>");
  EXPECT_EQ(broken->getValue<int>("lastErrorCode"), 40160);
  EXPECT_EQ(broken->getValue<int64_t>("lastErrorAt"), kNow - 2000);
  EXPECT_FALSE(channels->getObject(1)->has("lastError"));  // never failed
}

TEST(StatusPageTest, MembersOnlyWithStatusMembersAndNewestFirstInBoth) {
  Fixture f;
  f.model.AddEvents({MakeTestEvent("room", Action::kEnter, "alice", kNow - 3000)}, kNow);
  f.model.AddEvents({MakeTestEvent("room", Action::kEnter, "bob", kNow - 2000),
                     MakeTestEvent("room", Action::kLeave, "carol", kNow - 1000)},
                    kNow);
  for (const std::string& text : {f.model.Html(1, kNow), f.model.Json(kNow)}) {
    for (const char* hidden : {"alice", "conn-", "data-of-"}) {
      EXPECT_FALSE(Has(text, hidden)) << hidden << " in " << text;
    }
  }
  EXPECT_TRUE(Has(f.model.Html(1, kNow), "http.status_members: true"));
  auto events = Parse(f.model.Json(kNow))->getArray("events");
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ(events->getObject(0)->getValue<std::string>("action"), "leave");  // carol's
  EXPECT_FALSE(events->getObject(0)->has("clientId"));

  f.model.SetSummary("presenced", "config", true);
  const std::string html = f.model.Html(1, kNow);
  events = Parse(f.model.Json(kNow))->getArray("events");
  std::vector<size_t> in_page;
  for (const char* name : {"carol", "bob", "alice"}) in_page.push_back(html.find(name));
  EXPECT_TRUE(in_page[0] < in_page[1] && in_page[1] < in_page[2]) << html;
  EXPECT_EQ(events->getObject(0)->getValue<std::string>("clientId"), "carol");
  EXPECT_EQ(events->getObject(2)->getValue<std::string>("clientId"), "alice");
  EXPECT_EQ(events->getObject(2)->getValue<std::string>("connectionId"), "conn-alice");
  EXPECT_EQ(events->getObject(2)->getObject("data")->getValue<std::string>("secret"),
            "data-of-alice");
}

TEST(StatusPageTest, LongFieldsAreCutWithAMarkerSoThePageStaysSmall) {
  Fixture f;
  f.model.SetSummary("presenced", std::string(100'000, 'c'), true);
  const std::string huge(60'000, 'x');
  const std::string quotes(60'000, '"');  // six bytes each once escaped
  std::vector<Event> events;
  for (int i = 0; i < 100; ++i) {
    Event e = MakeTestEvent(huge + "ch", Action::kEnter, (i % 2 ? huge : quotes), kNow);
    e.connection_id = quotes;
    e.data = "\"" + huge + "\"";
    events.push_back(e);
  }
  f.model.AddEvents(events, kNow);
  std::vector<ChannelStatus> channels;
  for (int i = 0; i < 300; ++i) {
    ChannelStatus c = Channel(std::to_string(i) + quotes, true);
    c.last_error = huge;
    channels.push_back(c);
  }
  f.model.PublishChannels(channels);
  f.sinks.assign(200, {"webhook", quotes, 1, 1, 0, quotes});

  const std::string html = f.model.Html(1, kNow);
  EXPECT_LT(html.size(), 256u * 1024u);
  EXPECT_TRUE(Has(html, "\u2026[59880 more bytes]")) << html.substr(0, 4000);
  EXPECT_TRUE(Has(html, "The first 50 of 200 sinks")) << html.substr(0, 4000);

  const std::string json = f.model.Json(kNow);
  const auto parsed = Parse(json);  // still JSON
  const auto first = parsed->getArray("events")->getObject(0);
  const std::string client = first->getValue<std::string>("clientId");
  EXPECT_LE(client.size(), StatusModel::kMaxFieldBytes + 24);
  EXPECT_TRUE(Has(client, "more bytes]")) << client;
  // Data cut is no longer JSON: a string ending in the marker.
  EXPECT_TRUE(Has(first->getValue<std::string>("data"), "more bytes]"));
  EXPECT_LE(parsed->getValue<std::string>("config").size(), 2048u + 24);
  // 300 channels, 200 sinks and 100 events, every field cut: far from the 60 KB fields' 48 MB.
  EXPECT_LT(json.size(), 1024u * 1024u) << json.size();
}

}  // namespace
}  // namespace presenced
