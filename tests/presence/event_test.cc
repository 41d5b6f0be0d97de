#include "presence/event.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace presenced {
namespace {

TEST(ActionTest, NamesRoundTrip) {
  for (Action a : {Action::kPresent, Action::kEnter, Action::kLeave, Action::kUpdate}) {
    EXPECT_EQ(ParseActionName(ActionName(a)), a);
  }
  EXPECT_EQ(ActionName(Action::kPresent), "present");
  EXPECT_EQ(ActionName(Action::kEnter), "enter");
  EXPECT_EQ(ActionName(Action::kLeave), "leave");
  EXPECT_EQ(ActionName(Action::kUpdate), "update");
  EXPECT_EQ(ParseActionName("Enter"), std::nullopt);
  EXPECT_EQ(ParseActionName("absent"), std::nullopt);
  EXPECT_EQ(ParseActionName(""), std::nullopt);
}

TEST(EventIdTest, IsDeterministicLowercaseHex) {
  const std::string id = EventId("ch", "bob", "c1", Action::kEnter, "c1:0:0");
  EXPECT_EQ(id, EventId("ch", "bob", "c1", Action::kEnter, "c1:0:0"));
  ASSERT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(EventIdTest, PinnedValue) {
  // SHA-256 over 4-byte big-endian length-prefixed fields; pinned so the id never silently
  // changes between releases (receivers de-duplicate on it across restarts and upgrades).
  EXPECT_EQ(EventId("chat:lobby", "bob", "JSjj6i27T0", Action::kEnter, "JSjj6i27T0:0:0"),
            "0b7a549f1101f7e61ec0ea8be927c647");
}

TEST(EventIdTest, DiffersPerActionAndField) {
  std::set<std::string> ids;
  for (Action a : {Action::kPresent, Action::kEnter, Action::kLeave, Action::kUpdate}) {
    ids.insert(EventId("ch", "bob", "c1", a, "c1:0:0"));
  }
  ids.insert(EventId("ch2", "bob", "c1", Action::kEnter, "c1:0:0"));
  ids.insert(EventId("ch", "bob2", "c1", Action::kEnter, "c1:0:0"));
  ids.insert(EventId("ch", "bob", "c2", Action::kEnter, "c1:0:0"));
  ids.insert(EventId("ch", "bob", "c1", Action::kEnter, "c1:0:1"));
  EXPECT_EQ(ids.size(), 8u);
  // Length prefixes keep field boundaries apart.
  EXPECT_NE(EventId("ab", "c", "d", Action::kEnter, "e"),
            EventId("a", "bc", "d", Action::kEnter, "e"));
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(AppendJsonStringTest, Escapes) {
  EXPECT_EQ(Quote(""), R"("")");
  EXPECT_EQ(Quote("plain"), R"("plain")");
  EXPECT_EQ(Quote("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(Quote("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(Quote(std::string("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f)"
                                                       "\x7f\"");
  EXPECT_EQ(Quote("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
}

TEST(AppendJsonStringTest, Appends) {
  std::string out = "x";
  AppendJsonString(out, "y");
  EXPECT_EQ(out, "x\"y\"");
}

Event Sample() {
  Event e;
  e.id = "0123456789abcdef0123456789abcdef";
  e.channel = "chat:lobby";
  e.action = Action::kEnter;
  e.client_id = "bob";
  e.connection_id = "JSjj6i27T0";
  e.member_id = "JSjj6i27T0:0:0";
  e.data = R"({"mood":"ok"})";
  e.encoding = "json";
  e.timestamp = 1633985256512;
  e.observed_at = 1633985260000;
  return e;
}

TEST(EventToJsonTest, AllFieldsInContractOrder) {
  EXPECT_EQ(EventToJson(Sample()),
            R"({"id":"0123456789abcdef0123456789abcdef","channel":"chat:lobby","action":"enter",)"
            R"("clientId":"bob","connectionId":"JSjj6i27T0","memberId":"JSjj6i27T0:0:0",)"
            R"("data":{"mood":"ok"},"encoding":"json","timestamp":1633985256512,)"
            R"("observedAt":1633985260000})");
}

TEST(EventToJsonTest, StringDataIsRawAndEmptyFieldsOmitted) {
  Event e = Sample();
  e.action = Action::kLeave;
  e.data = R"("line\nbreak")";
  e.encoding = "";
  EXPECT_EQ(EventToJson(e),
            R"({"id":"0123456789abcdef0123456789abcdef","channel":"chat:lobby","action":"leave",)"
            R"("clientId":"bob","connectionId":"JSjj6i27T0","memberId":"JSjj6i27T0:0:0",)"
            R"("data":"line\nbreak","timestamp":1633985256512,"observedAt":1633985260000})");
  e.data = "";
  e.action = Action::kPresent;
  EXPECT_EQ(EventToJson(e),
            R"({"id":"0123456789abcdef0123456789abcdef","channel":"chat:lobby","action":"present",)"
            R"("clientId":"bob","connectionId":"JSjj6i27T0","memberId":"JSjj6i27T0:0:0",)"
            R"("timestamp":1633985256512,"observedAt":1633985260000})");
}

TEST(EventToJsonTest, EscapesStringFields) {
  Event e = Sample();
  e.data = "";
  e.encoding = "";
  e.channel = "a\"b";
  e.client_id = "tab\there";
  e.timestamp = -5;
  e.observed_at = 0;
  EXPECT_EQ(EventToJson(e),
            R"({"id":"0123456789abcdef0123456789abcdef","channel":"a\"b","action":"enter",)"
            R"("clientId":"tab\there","connectionId":"JSjj6i27T0","memberId":"JSjj6i27T0:0:0",)"
            R"("timestamp":-5,"observedAt":0})");
}

}  // namespace
}  // namespace presenced
