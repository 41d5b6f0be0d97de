// ParseBatchPresenceViews: members as views of the body and the parser's buffers, the same as
// ParseBatchPresence's Members, valid for the whole call; and the conversions between the forms.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ably/batch_parser.h"

namespace presenced {
namespace {

// Returns true when `view` lies inside `text`'s bytes (no copy was made).
bool Inside(std::string_view view, std::string_view text) {
  return !view.empty() && view.data() >= text.data() &&
         view.data() + view.size() <= text.data() + text.size();
}

std::string Member(int i, std::string_view client_suffix = "") {
  const std::string n = std::to_string(i);
  return R"({"id":"c)" + n + R"(:1:0","action":1,"clientId":"user-)" + n +
         std::string(client_suffix) + R"(","connectionId":"c)" + n + R"(","data":{"n":)" + n +
         R"(},"encoding":"json","timestamp":)" + std::to_string(1000 + i) + "}";
}

std::string Body(int members, std::string_view client_suffix = "") {
  std::string body = R"({"results":[{"channel":"room","presence":[)";
  for (int i = 0; i < members; ++i) body += (i ? "," : "") + Member(i, client_suffix);
  return body + "]}]}";
}

// Every field equals the owning parser's, and none is copied: with the padding the HTTP client
// leaves, `data` (raw JSON text) and every string without an escape are views of the body itself.
TEST(BatchParserViewsTest, ViewsEqualTheOwnedMembersAndDataViewsTheBody) {
  const std::string text = Body(50) + std::string(64, '\0');
  const std::string_view body(text.data(), text.size() - 64);
  const BatchPresenceResult owned = ParseBatchPresence(200, body);
  ASSERT_TRUE(owned.ok);
  int calls = 0;
  ParseBatchPresenceViews(200, body, {}, {}, 64, [&](const BatchPresenceViews& views) {
    ++calls;
    ASSERT_TRUE(views.ok);
    ASSERT_EQ(views.channels.size(), 1u);
    const ChannelPresenceView& room = views.channels[0];
    EXPECT_EQ(room.channel, "room");
    ASSERT_EQ(room.members.size(), owned.channels[0].members.size());
    for (size_t i = 0; i < room.members.size(); ++i) {
      const MemberView& v = room.members[i];
      const presenced::Member& m = owned.channels[0].members[i];
      EXPECT_EQ(v.client_id, m.client_id);
      EXPECT_EQ(v.connection_id, m.connection_id);
      EXPECT_EQ(v.id, m.id);
      EXPECT_EQ(v.data, m.data);
      EXPECT_EQ(v.encoding, m.encoding);
      EXPECT_EQ(v.timestamp, m.timestamp);
      EXPECT_EQ(v.misses, 0u);
      EXPECT_TRUE(Inside(v.data, body)) << i;
      EXPECT_TRUE(Inside(v.client_id, body)) << i;
      EXPECT_TRUE(Inside(v.connection_id, body)) << i;
      EXPECT_TRUE(Inside(v.id, body)) << i;
      EXPECT_TRUE(Inside(v.encoding, body)) << i;
    }
  });
  EXPECT_EQ(calls, 1);
}

// Strings decoded leniently (a lone surrogate escape) live in the outcome: every one of many stays
// valid through the whole call, however many were decoded after it.
TEST(BatchParserViewsTest, LenientlyDecodedStringsStayValidForTheWholeCall) {
  const std::string r = "\xEF\xBF\xBD";
  const int n = 300;
  ParseBatchPresenceViews(200, Body(n, R"(\ud800)"), {}, {}, 0, [&](const BatchPresenceViews& v) {
    ASSERT_TRUE(v.ok) << v.error.message;
    ASSERT_EQ(v.channels.at(0).members.size(), static_cast<size_t>(n));
    EXPECT_GE(v.decoded.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(v.channels[0].members[i].client_id, "user-" + std::to_string(i) + r);
    }
  });
}

// A malformed member fails its channel in the view form too: no members, never a partial set.
TEST(BatchParserViewsTest, AMalformedMemberFailsTheChannel) {
  const std::string body = R"({"results":[{"channel":"a","presence":[)" + Member(1) +
                           R"(,{"id":"x:1:0","clientId":"x","action":1}]},)" +
                           R"({"channel":"b","presence":[)" + Member(2) + "]}]}";
  ParseBatchPresenceViews(200, body, {}, {}, 0, [&](const BatchPresenceViews& v) {
    ASSERT_TRUE(v.ok);
    ASSERT_EQ(v.channels.size(), 2u);
    EXPECT_FALSE(v.channels[0].ok);
    EXPECT_TRUE(v.channels[0].members.empty());
    EXPECT_NE(v.channels[0].error.message.find("connectionId missing"), std::string::npos);
    EXPECT_TRUE(v.channels[1].ok);
    EXPECT_EQ(v.channels[1].members.size(), 1u);
  });
}

// A string with an escape is decoded (into the parser's buffers), one without is not copied.
TEST(BatchParserViewsTest, EscapedStringsAreDecodedPlainOnesViewTheBody) {
  const std::string text = R"({"results":[{"channel":"r\u006fom","presence":[)"
                           R"({"id":"c:1:0","clientId":"a\"b\\c\u00e9","connectionId":"c",)"
                           R"("encoding":"utf-8/base64" ,"action":1}]}]})" +
                           std::string(64, '\0');
  const std::string_view body(text.data(), text.size() - 64);
  ParseBatchPresenceViews(200, body, {}, {}, 64, [&](const BatchPresenceViews& v) {
    ASSERT_TRUE(v.ok) << v.error.message;
    EXPECT_EQ(v.channels.at(0).channel, "room");
    const MemberView& m = v.channels[0].members.at(0);
    EXPECT_EQ(m.client_id, "a\"b\\c\xC3\xA9");
    EXPECT_FALSE(Inside(m.client_id, body));
    EXPECT_EQ(m.encoding, "utf-8/base64");
    EXPECT_TRUE(Inside(m.encoding, body));
    EXPECT_EQ(m.connection_id, "c");
  });
}

TEST(BatchParserViewsTest, ViewOfAndToOwnedRoundTrip) {
  ChannelPresence owned;
  owned.channel = "room";
  owned.ok = true;
  owned.members = {{"ann", "c1", "c1:1:0", R"({"a":1})", "json", 5},
                   {"bob", "c2", "c2:1:0", "", "", 6}};
  const ChannelPresenceView view = ViewOf(owned);
  EXPECT_EQ(view.channel, "room");
  EXPECT_TRUE(view.ok);
  ASSERT_EQ(view.members.size(), 2u);
  EXPECT_EQ(view.members[0].data.data(), owned.members[0].data.data()) << "a view, not a copy";
  const ChannelPresence back = ToOwned(view);
  EXPECT_EQ(back.channel, owned.channel);
  EXPECT_EQ(back.ok, owned.ok);
  ASSERT_EQ(back.members.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.members[i].client_id, owned.members[i].client_id);
    EXPECT_EQ(back.members[i].connection_id, owned.members[i].connection_id);
    EXPECT_EQ(back.members[i].id, owned.members[i].id);
    EXPECT_EQ(back.members[i].data, owned.members[i].data);
    EXPECT_EQ(back.members[i].encoding, owned.members[i].encoding);
    EXPECT_EQ(back.members[i].timestamp, owned.members[i].timestamp);
  }
}

}  // namespace
}  // namespace presenced
