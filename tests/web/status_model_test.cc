// StatusModel (GET / and GET /api/v1/status) on its own: hostile names cannot inject markup or
// break the JSON, the stale list and the pages are bounded, and paging handles its edges.

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "web/status.h"

namespace presenced {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::vector<ChannelStatus> Channels(int count, int stale_count) {
  std::vector<ChannelStatus> channels;
  for (int i = 0; i < count; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "ch%04d", i);
    ChannelStatus channel;
    channel.name = name;
    channel.members = channel.clients = 1;
    channel.stale = i < stale_count;
    channel.last_success_ms = channel.stale ? 0 : kNow;
    channels.push_back(channel);
  }
  return channels;
}

StatusModel Model(std::vector<SinkStatus> sinks = {}) {
  return StatusModel(StatusInputs{[sinks] { return sinks; }, [] { return std::nullopt; }, kNow});
}

TEST(StatusModelTest, HostileNamesAreEscapedInHtmlAndValidInJson) {
  const std::string hostile = "<script>alert(\"x\")</script>&\n\x01";
  StatusModel status = Model({{"webhook", "main", 1, 2.5, 0, "HTTP 500: <b>" + hostile}});
  status.SetSummary("presenced", "config", /*show_members=*/true);
  std::vector<ChannelStatus> channels = Channels(1, 0);
  channels[0].name = hostile;
  status.PublishChannels(channels);
  Event event;
  event.channel = hostile;
  event.client_id = hostile;
  event.connection_id = "\"><img src=x onerror=alert(1)>";
  event.observed_at = kNow;
  status.AddEvents({event}, kNow);

  const std::string html = status.Html(1, kNow);
  EXPECT_FALSE(Has(html, "<script")) << html;
  EXPECT_FALSE(Has(html, "<b>")) << html;
  EXPECT_FALSE(Has(html, "<img")) << html;
  // The channel row, the event's channel and clientId, the webhook's last error.
  EXPECT_EQ(Count(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"), 4u) << html;

  Poco::JSON::Object::Ptr json =
      Poco::JSON::Parser().parse(status.Json(kNow)).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(json->getArray("channels")->getObject(0)->getValue<std::string>("name"), hostile);
  EXPECT_EQ(json->getArray("events")->getObject(0)->getValue<std::string>("clientId"), hostile);
  EXPECT_EQ(json->getArray("webhooks")->getObject(0)->getValue<std::string>("lastError"),
            "HTTP 500: <b>" + hostile);
}

TEST(StatusModelTest, NoChannelsIsOnePageWithoutLinks) {
  StatusModel status = Model();
  const std::string html = status.Html(1, kNow);
  EXPECT_TRUE(Has(html, "0 channels, 0 members, 0 stale.")) << html;
  EXPECT_TRUE(Has(html, "Channels (page 1 of 1)")) << html;
  EXPECT_FALSE(Has(html, "href=\"/?page=")) << html;
  EXPECT_FALSE(Has(html, "Stale channels")) << html;
  EXPECT_TRUE(Has(status.Html(2, kNow), "There is no page 2; this is the last page."));
  status.PublishChannels(Channels(1, 0));
  EXPECT_TRUE(Has(status.Html(1, kNow), "1 channel, 1 member, 0 stale.")) << status.Html(1, kNow);
}

TEST(StatusModelTest, StaleListShowsAtMostOnePageAndSaysHowManyThereAre) {
  StatusModel status = Model();
  status.PublishChannels(Channels(300, 100));
  std::string html = status.Html(1, kNow);
  EXPECT_TRUE(Has(html, "<h2>Stale channels (100)</h2>")) << html;
  // Page 1 lists ch0000..ch0099, all stale: each shows twice (stale list and page).
  EXPECT_EQ(Count(html, "<tr class=\"stale\">"), 200u);

  status.PublishChannels(Channels(300, 250));
  html = status.Html(3, kNow);
  EXPECT_TRUE(Has(html, "Stale channels (the first 100 of 250 by name; all in /api/v1/status)"))
      << html;
  EXPECT_EQ(Count(html, "<tr class=\"stale\">"), 100u + 50u);  // page 3: ch0200..ch0299
  EXPECT_FALSE(Has(html, "<td>ch0100</td>"));
}

TEST(StatusModelTest, PagesLinkFirstPreviousNextLastAndThePastEndShowsTheLast) {
  StatusModel status = Model();
  status.PublishChannels(Channels(250, 0));
  const std::string middle = status.Html(2, kNow);
  EXPECT_TRUE(Has(middle, "Channels (page 2 of 3)"));
  EXPECT_TRUE(Has(middle,
                  "<a href=\"/?page=1\">first</a> <a href=\"/?page=1\">previous</a> "
                  "<a href=\"/?page=3\">next</a> <a href=\"/?page=3\">last</a>"))
      << middle;
  EXPECT_TRUE(Has(middle, "<td>ch0100</td>"));
  EXPECT_TRUE(Has(middle, "<td>ch0199</td>"));
  EXPECT_FALSE(Has(middle, "<td>ch0200</td>"));

  const std::string past = status.Html(7, kNow);
  EXPECT_TRUE(Has(past, "Channels (page 3 of 3)"));
  EXPECT_TRUE(Has(past, "There is no page 7; this is the last page."));
  EXPECT_EQ(Count(past, "<td>ch0"), 50u);
  EXPECT_FALSE(Has(past, ">next</a>"));
  EXPECT_FALSE(Has(status.Html(3, kNow), "There is no page"));
  EXPECT_TRUE(Has(status.Html(0, kNow), "Channels (page 1 of 3)"));
}

// The channel list is published after every cycle; the same names again update the rows in place.
// Each publication must show its own figures, whether the names changed or not.
TEST(StatusModelTest, EachPublicationReplacesTheRows) {
  StatusModel status = Model();
  status.PublishChannels(Channels(3, 0));
  std::vector<ChannelStatus> again = Channels(3, 0);
  again[1].members = 7;
  again[2].stale = true;
  again[2].last_error_ms = kNow;
  again[2].last_error_code = 40160;
  again[2].last_error = "not permitted";
  status.PublishChannels(again);
  std::string json = status.Json(kNow);
  EXPECT_TRUE(Has(json, R"({"name":"ch0001","members":7)")) << json;
  EXPECT_TRUE(Has(json, "not permitted")) << json;
  EXPECT_TRUE(Has(json, "40160")) << json;
  again[2].last_error = "";
  again[2].stale = false;
  status.PublishChannels(again);
  EXPECT_FALSE(Has(status.Json(kNow), "not permitted"));
  // Other names (and an unsorted list): replaced, sorted.
  std::vector<ChannelStatus> other = Channels(2, 0);
  std::swap(other[0], other[1]);
  status.PublishChannels(other);
  json = status.Json(kNow);
  EXPECT_FALSE(Has(json, "ch0002")) << json;
  EXPECT_LT(json.find("ch0000"), json.find("ch0001"));
}

// UpdateChannels updates the rows in place only when the names are those last published, in
// order; any other list is refused (false), for the caller to publish.
TEST(StatusModelTest, UpdateChannelsInPlaceOnlyForTheSameNames) {
  StatusModel status = Model();
  status.PublishChannels(Channels(3, 0));
  const auto rows_of = [](std::vector<ChannelStatus> rows) {
    return [rows](const std::function<void(const ChannelStatus&)>& row) {
      for (const ChannelStatus& c : rows) row(c);
    };
  };
  std::vector<ChannelStatus> again = Channels(3, 0);
  again[1].members = 7;
  again[2].last_error_ms = kNow;
  again[2].last_error = "not permitted";
  EXPECT_TRUE(status.UpdateChannels(rows_of(again)));
  const std::string json = status.Json(kNow);
  EXPECT_TRUE(Has(json, R"({"name":"ch0001","members":7)")) << json;
  EXPECT_TRUE(Has(json, "not permitted")) << json;
  EXPECT_FALSE(status.UpdateChannels(rows_of(Channels(2, 0))));  // fewer
  EXPECT_FALSE(status.UpdateChannels(rows_of(Channels(4, 0))));  // more
  std::vector<ChannelStatus> renamed = Channels(3, 0);
  renamed[1].name = "other";
  EXPECT_FALSE(status.UpdateChannels(rows_of(renamed)));
}

}  // namespace
}  // namespace presenced
