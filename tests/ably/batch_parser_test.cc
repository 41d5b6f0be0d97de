#include "ably/batch_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "fakes/test_support.h"

namespace presenced {
namespace {

// One expected channel: name, ok, error code (when failed), clientIds of its members in order.
struct WantChannel {
  std::string channel;
  bool ok;
  int error_code;
  std::vector<std::string> client_ids;
};

struct ParseCase {
  std::string name;
  int status;
  std::string body;
  std::string header_code;
  std::string header_message;
  bool ok;
  int error_code;          // whole failure only
  int error_status;        // whole failure only
  std::string error_text;  // substring of the whole-failure message
  std::vector<WantChannel> channels;
};

std::string Msg(const std::string& client, const std::string& conn, int action = 1) {
  return R"({"id":")" + conn + R"(:1:0","action":)" + std::to_string(action) + R"(,"clientId":")" +
         client + R"(","connectionId":")" + conn + R"(","timestamp":1700000000000})";
}

const std::string kA =
    R"({"channel":"a","presence":[)" + Msg("alice", "c1") + "," + Msg("bob", "c2") + "]}";
const std::string kB = R"({"channel":"b","presence":[)" + Msg("carol", "c3") + "]}";
const std::string kDenied =
    R"({"channel":"secret","error":{"code":40160,"statusCode":401,"message":"denied"}})";

std::vector<ParseCase> Cases() {
  return {
      {"V3AllOk",
       200,
       R"({"successCount":2,"failureCount":0,"results":[)" + kA + "," + kB + "]}",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"a", true, 0, {"alice", "bob"}}, {"b", true, 0, {"carol"}}}},
      {"V3MixedErrors",
       200,
       R"({"successCount":1,"failureCount":1,"results":[)" + kA + "," + kDenied + "]}",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"a", true, 0, {"alice", "bob"}}, {"secret", false, 40160, {}}}},
      {"V3AllFailed",
       200,
       R"({"successCount":0,"failureCount":1,"results":[)" + kDenied + "]}",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"secret", false, 40160, {}}}},
      {"V3ResultsFirst",
       200,
       R"({"results":[)" + kB + R"(],"failureCount":0,"successCount":1})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"b", true, 0, {"carol"}}}},
      {"LegacyArray",
       200,
       "[" + kA + "," + kB + "]",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"a", true, 0, {"alice", "bob"}}, {"b", true, 0, {"carol"}}}},
      {"LegacyPartial400",
       400,
       R"({"error":{"code":40020,"statusCode":400,"message":"Batched response includes errors"},)"
       R"("batchResponse":[)" +
           kA + "," + kDenied + "]}",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"a", true, 0, {"alice", "bob"}}, {"secret", false, 40160, {}}}},
      {"LegacyPartialBatchFirst",
       400,
       R"({"batchResponse":[)" + kB + R"(],"error":{"code":40020,"statusCode":400}})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"b", true, 0, {"carol"}}}},
      {"EmptyPresence",
       200,
       R"({"results":[{"channel":"e","presence":[]}]})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"e", true, 0, {}}}},
      {"AbsentAndLeaveDropped",
       200,
       R"({"results":[{"channel":"a","presence":[)" + Msg("p", "c1", 1) + "," +
           Msg("gone", "c2", 3) + "," + Msg("absent", "c3", 0) + "," + Msg("entered", "c4", 2) +
           "," + Msg("updated", "c5", 4) + "]}]}",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"a", true, 0, {"p", "entered", "updated"}}}},
      {"ActionAsString",
       200,
       R"({"results":[{"channel":"a","presence":[{"action":"1","clientId":"s","connectionId":"c"},)"
       R"({"action":"3","clientId":"t","connectionId":"d"}]}]})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"a", true, 0, {"s"}}}},
      {"MissingClientIdFailsChannel",
       200,
       R"({"results":[)" + kB +
           R"(,{"channel":"x","presence":[{"action":1,"clientId":"ok","connectionId":"c"},)"
           R"({"action":1,"connectionId":"c9"}]}]})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"b", true, 0, {"carol"}}, {"x", false, 0, {}}}},
      {"MissingConnectionIdFailsChannel",
       200,
       R"({"results":[{"channel":"x","presence":[{"action":1,"clientId":"u"}]}]})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"x", false, 0, {}}}},
      {"NullClientIdFailsChannel",
       200,
       R"({"results":[{"channel":"x","presence":[{"clientId":null,"connectionId":"c"}]}]})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"x", false, 0, {}}}},
      {"RepeatedChannelFailsEveryEntry",
       200,
       R"({"results":[)" + kA + "," + kB + R"(,{"channel":"a","presence":[)" + Msg("alice", "c1") +
           "]}]}",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"a", false, 0, {}}, {"b", true, 0, {"carol"}}, {"a", false, 0, {}}}},
      {"RepeatedChannelOkAndErrorFailsBoth",
       400,
       R"({"error":{"code":40020,"statusCode":400},"batchResponse":[)" + kDenied + "," + kA +
           R"(,{"channel":"secret","presence":[]}]})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"secret", false, 0, {}}, {"a", true, 0, {"alice", "bob"}}, {"secret", false, 0, {}}}},
      {"RepeatedChannelInLegacyArray",
       200,
       "[" + kB + "," + kB + "]",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"b", false, 0, {}}, {"b", false, 0, {}}}},
      {"HugeErrorCodeIsUnknown",
       401,
       R"({"error":{"code":1e300,"statusCode":-1e300,"message":"odd"}})",
       "",
       "",
       false,
       0,
       401,
       "odd",
       {}},
      {"EntryWithoutPresenceOrError",
       200,
       R"({"results":[{"channel":"x"}]})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"x", false, 0, {}}}},
      {"UnknownFieldsIgnored",
       200,
       R"({"extra":{"deep":[1,2,{"x":null}]},"results":[{"channel":"a","flag":true,"presence":[)"
       R"({"clientId":"k","connectionId":"c","extras":{"headers":{"x":"y"}},"future":[1]}]}]})",
       "",
       "",
       true,
       0,
       0,
       "",
       {{"a", true, 0, {"k"}}}},
      {"WholeErrorFromBody",
       401,
       R"({"error":{"code":40101,"statusCode":401,"message":"Invalid credentials","href":"https://help.ably.io/error/40101"}})",
       "",
       "",
       false,
       40101,
       401,
       "Invalid credentials",
       {}},
      {"TooManyChannels90010",
       400,
       R"({"error":{"code":90010,"statusCode":400,"message":"Too many channels"}})",
       "",
       "",
       false,
       90010,
       400,
       "Too many channels",
       {}},
      {"40020WithoutBatchIsWholeFailure",
       400,
       R"({"error":{"code":40020,"statusCode":400,"message":"Batched"}})",
       "",
       "",
       false,
       40020,
       400,
       "Batched",
       {}},
      {"WholeErrorFromHeadersOnly",
       429,
       "",
       "42922",
       "Rate limit exceeded",
       false,
       42922,
       429,
       "Rate limit exceeded",
       {}},
      {"HtmlErrorUsesHeaders",
       502,
       "<html>Bad gateway</html>",
       "50003",
       "timeout",
       false,
       50003,
       502,
       "timeout",
       {}},
      {"NoErrorInfoAtAll", 503, "", "", "", false, 0, 503, "HTTP 503", {}},
      {"BodyErrorWithoutStatusCode",
       500,
       R"({"error":{"code":50000,"message":"internal"}})",
       "",
       "",
       false,
       50000,
       500,
       "internal",
       {}},
      {"NotJson", 200, "<html>hello</html>", "", "", false, 0, 200, "unparsable", {}},
      {"EmptyBody", 200, "", "", "", false, 0, 200, "unparsable", {}},
      {"Truncated",
       200,
       R"({"results":[{"channel":"a","presence":[{"clientId":"x")",
       "",
       "",
       false,
       0,
       200,
       "",
       {}},
      {"TrailingGarbage", 200, R"({"results":[]} [])", "", "", false, 0, 200, "", {}},
      {"WrongShapeObject", 200, R"({"channels":[]})", "", "", false, 0, 200, "shape", {}},
      {"WrongShapeScalar", 200, "42", "", "", false, 0, 200, "shape", {}},
      {"ResultsNotArray", 200, R"({"results":{}})", "", "", false, 0, 200, "", {}},
      {"EntryWithoutChannel",
       200,
       R"({"results":[{"presence":[]}]})",
       "",
       "",
       false,
       0,
       200,
       "shape",
       {}},
  };
}

class BatchParserTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(BatchParserTest, Parses) {
  const ParseCase& c = GetParam();
  BatchPresenceResult result =
      ParseBatchPresence(c.status, c.body, c.header_code, c.header_message);
  ASSERT_EQ(result.ok, c.ok) << result.error.message;
  if (!c.ok) {
    EXPECT_EQ(result.error.code, c.error_code);
    EXPECT_EQ(result.error.status_code, c.error_status);
    EXPECT_NE(result.error.message.find(c.error_text), std::string::npos) << result.error.message;
    EXPECT_FALSE(result.error.message.empty());
    EXPECT_TRUE(result.channels.empty());
    return;
  }
  ASSERT_EQ(result.channels.size(), c.channels.size());
  for (size_t i = 0; i < c.channels.size(); ++i) {
    const ChannelPresence& got = result.channels[i];
    const WantChannel& want = c.channels[i];
    EXPECT_EQ(got.channel, want.channel);
    EXPECT_EQ(got.ok, want.ok) << got.channel;
    std::vector<std::string> clients;
    for (const Member& m : got.members) clients.push_back(m.client_id);
    EXPECT_EQ(clients, want.client_ids) << got.channel;
    if (!want.ok) {
      EXPECT_EQ(got.error.code, want.error_code) << got.channel;
      EXPECT_FALSE(got.error.message.empty()) << got.channel;
    }
  }
}

// The same table through the view form: the same outcome, channel by channel and member by
// member, seen during the call.
TEST_P(BatchParserTest, ParsesAsViews) {
  const ParseCase& c = GetParam();
  int calls = 0;
  auto check = [&](const BatchPresenceViews& result) {
    ++calls;
    ASSERT_EQ(result.ok, c.ok) << result.error.message;
    if (!c.ok) {
      EXPECT_EQ(result.error.code, c.error_code);
      EXPECT_EQ(result.error.status_code, c.error_status);
      EXPECT_NE(result.error.message.find(c.error_text), std::string::npos);
      EXPECT_TRUE(result.channels.empty());
      return;
    }
    ASSERT_EQ(result.channels.size(), c.channels.size());
    for (size_t i = 0; i < c.channels.size(); ++i) {
      const ChannelPresenceView& got = result.channels[i];
      const WantChannel& want = c.channels[i];
      EXPECT_EQ(got.channel, want.channel);
      EXPECT_EQ(got.ok, want.ok) << got.channel;
      std::vector<std::string> clients;
      for (const MemberView& m : got.members) clients.emplace_back(m.client_id);
      EXPECT_EQ(clients, want.client_ids) << got.channel;
      if (!want.ok) {
        EXPECT_EQ(got.error.code, want.error_code) << got.channel;
      }
    }
  };
  ParseBatchPresenceViews(c.status, c.body, c.header_code, c.header_message, 0, check);
  EXPECT_EQ(calls, 1);
}

INSTANTIATE_TEST_SUITE_P(Table, BatchParserTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(BatchParserFieldsTest, KeepsEveryMemberField) {
  BatchPresenceResult result = ParseBatchPresence(200, R"({"results":[{"channel":"a","presence":[
    {"id":"conn1:7:2","action":1,"clientId":"bob","connectionId":"conn1","data":{"b": [1, 2]},
     "encoding":"json","timestamp":1633985256512}]}]})");
  ASSERT_TRUE(result.ok);
  ASSERT_EQ(result.channels.at(0).members.size(), 1u);
  const Member& m = result.channels[0].members[0];
  EXPECT_EQ(m.client_id, "bob");
  EXPECT_EQ(m.connection_id, "conn1");
  EXPECT_EQ(m.id, "conn1:7:2");
  EXPECT_EQ(m.data, R"({"b": [1, 2]})");
  EXPECT_EQ(m.encoding, "json");
  EXPECT_EQ(m.timestamp, 1633985256512);
}

// `data` keeps its exact JSON text: quotes, escapes and raw UTF-8 byte for byte.
TEST(BatchParserFieldsTest, DataIsRawJsonByteForByte) {
  const std::vector<std::string> datas = {
      R"("plain")",
      R"("esc \" \\ \/ \n \t \u00e9 \ud83d\ude00")",
      "\"raw utf-8 \xc3\xa9 \xf0\x9f\x98\x80\"",
      R"("")",
      "123.50",
      "-7",
      "true",
      "null",
      R"([1,"two",{"3":[]}])",
      R"({ "spaced" : "object" })",
  };
  for (const std::string& data : datas) {
    const std::string body = R"({"results":[{"channel":"a","presence":[{"clientId":"c",)"
                             R"("connectionId":"k","data":)" +
                             data + R"(  ,"timestamp":1}]}]})";
    BatchPresenceResult result = ParseBatchPresence(200, body);
    ASSERT_TRUE(result.ok) << data << ": " << result.error.message;
    ASSERT_EQ(result.channels.at(0).members.size(), 1u);
    EXPECT_EQ(result.channels[0].members[0].data, data);
  }
}

TEST(BatchParserFieldsTest, AbsentDataAndEncodingAreEmpty) {
  BatchPresenceResult result = ParseBatchPresence(
      200, R"([{"channel":"a","presence":[{"clientId":"c","connectionId":"k"}]}])");
  ASSERT_TRUE(result.ok);
  const Member& m = result.channels.at(0).members.at(0);
  EXPECT_EQ(m.data, "");
  EXPECT_EQ(m.encoding, "");
  EXPECT_EQ(m.id, "");
  EXPECT_EQ(m.timestamp, 0);
}

TEST(BatchParserFieldsTest, NullTimestampIsAbsent) {
  BatchPresenceResult result = ParseBatchPresence(
      200,
      R"([{"channel":"a","presence":[{"clientId":"c","connectionId":"k","timestamp":null}]}])");
  ASSERT_TRUE(result.ok);
  ASSERT_TRUE(result.channels.at(0).ok) << result.channels[0].error.message;
  EXPECT_EQ(result.channels[0].members.at(0).timestamp, 0);
}

TEST(BatchParserFieldsTest, ActionAsNumericStringIsItsNumber) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {R"("0")", false}, {R"("1")", true}, {R"("2")", true},
      {R"("3")", false}, {R"("4")", true}, {"4", true}};  // action, kept in the member set
  for (const auto& [action, kept] : cases) {
    const std::string body = R"({"results":[{"channel":"a","presence":[{"action":)" + action +
                             R"(,"clientId":"c","connectionId":"k","timestamp":5}]}]})";
    BatchPresenceResult result = ParseBatchPresence(200, body);
    ASSERT_TRUE(result.ok) << action;
    ASSERT_TRUE(result.channels.at(0).ok) << action << ": " << result.channels[0].error.message;
    EXPECT_EQ(result.channels[0].members.size(), kept ? 1u : 0u) << action;
  }
}

// History pages keep every message with its action, leaves and absents included, in order; any
// malformed message fails the page (a skipped one could hide an enter or a leave).
// A body of `channels` channels of `members` members each, in the v3 shape.
std::string BigBody(int channels, int members) {
  std::string body = R"({"successCount":1,"failureCount":0,"results":[)";
  for (int c = 0; c < channels; ++c) {
    if (c > 0) body += ",";
    body += R"({"channel":"ch)" + std::to_string(c) + R"(","presence":[)";
    for (int m = 0; m < members; ++m) {
      if (m > 0) body += ",";
      body += Msg("client-" + std::to_string(m), "connection-" + std::to_string(m));
    }
    body += "]}";
  }
  return body + "]}";
}

TEST(BatchParserBuffersTest, ABigDocumentsBuffersAreGivenBackAndSmallOnesKept) {
  const std::string small = BigBody(10, 100);
  ASSERT_TRUE(ParseBatchPresence(200, small).ok);
  EXPECT_GE(ThreadParserCapacity(), small.size());

  const std::string big = BigBody(100, 1000);
  ASSERT_GT(big.size(), size_t{8} << 20);
  const BatchPresenceResult parsed = ParseBatchPresence(200, big);
  ASSERT_TRUE(parsed.ok);
  ASSERT_EQ(parsed.channels.size(), 100u);
  EXPECT_EQ(parsed.channels[99].members[999].client_id, "client-999");
  EXPECT_LE(ThreadParserCapacity(), size_t{8} << 20);

  std::vector<Member> members;
  AblyError error;
  const std::string page = "[" + Msg("a", "b") + "]";
  ASSERT_TRUE(ParsePresencePage(page, members, error)) << error.message;
  EXPECT_GE(ThreadParserCapacity(), page.size());
}

TEST(BatchParserHistoryTest, KeepsEveryActionInOrderAndFailsOnAnyMalformedMessage) {
  std::vector<PresenceMessage> messages;
  AblyError error;
  ASSERT_TRUE(ParseHistoryPage(
      R"([{"id":"k:0:0","action":2,"clientId":"c","connectionId":"k","timestamp":5},
          {"id":"k:1:0","action":"3","clientId":"c","connectionId":"k","data":"x","timestamp":6},
          {"id":"k:2:0","action":0,"clientId":"c","connectionId":"k","timestamp":7}])",
      messages, error))
      << error.message;
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].action, MessageAction::kEnter);
  EXPECT_EQ(messages[1].action, MessageAction::kLeave);
  EXPECT_EQ(messages[1].member.data, R"("x")");
  EXPECT_EQ(messages[2].action, MessageAction::kAbsent);
  EXPECT_EQ(messages[2].member.timestamp, 7);
  for (const std::string bad : {R"({"a":1})", R"([{"action":9,"clientId":"c","connectionId":"k"}])",
                                R"([{"action":2,"connectionId":"k"}])",
                                R"([{"action":2,"clientId":"c","connectionId":"k"})"}) {
    std::vector<PresenceMessage> out;
    EXPECT_FALSE(ParseHistoryPage(bad, out, error)) << bad;
    EXPECT_FALSE(error.message.empty()) << bad;
  }
}

// A member field whose value makes membership or time unknowable fails its whole channel (no
// events, counted stale) while the other channels of the response stay usable. Before, such
// values were cast (1e300 to int64 is undefined behaviour), read as 0, or kept as present.
struct HostileField {
  std::string name;
  std::string field;  // `"key":value` inside the presence message
};

void PrintTo(const HostileField& field, std::ostream* out) { *out << field.field; }

class BatchParserHostileFieldTest : public ::testing::TestWithParam<HostileField> {};

TEST_P(BatchParserHostileFieldTest, FailsTheChannel) {
  const std::string body = R"({"results":[)" + kB +
                           R"(,{"channel":"x","presence":[{"clientId":"h","connectionId":"c",)" +
                           GetParam().field + "}," + Msg("ok", "c2") + "]}]}";
  BatchPresenceResult result = ParseBatchPresence(200, body);
  ASSERT_TRUE(result.ok) << result.error.message;
  ASSERT_EQ(result.channels.size(), 2u);
  EXPECT_TRUE(result.channels[0].ok);
  const ChannelPresence& x = result.channels[1];
  EXPECT_EQ(x.channel, "x");
  EXPECT_FALSE(x.ok);
  EXPECT_TRUE(x.members.empty());
  EXPECT_NE(x.error.message.find("malformed presence message"), std::string::npos)
      << x.error.message;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, BatchParserHostileFieldTest,
    ::testing::Values(HostileField{"TimestampHuge", R"("timestamp":1e300)"},
                      HostileField{"TimestampHugeNegative", R"("timestamp":-1e300)"},
                      HostileField{"TimestampOverInt64", R"("timestamp":9223372036854775808)"},
                      HostileField{"TimestampFraction", R"("timestamp":1700000000000.5)"},
                      HostileField{"TimestampNegative", R"("timestamp":-1)"},
                      HostileField{"TimestampString", R"("timestamp":"1700000000000")"},
                      HostileField{"TimestampBool", R"("timestamp":true)"},
                      HostileField{"TimestampObject", R"("timestamp":{})"},
                      HostileField{"ActionNegative", R"("action":-1)"},
                      HostileField{"ActionTooBig", R"("action":5)"},
                      HostileField{"ActionHuge", R"("action":1e300)"},
                      HostileField{"ActionOverInt64", R"("action":18446744073709551616)"},
                      HostileField{"ActionFraction", R"("action":1.5)"},
                      HostileField{"ActionIntegralFloat", R"("action":1.0)"},
                      HostileField{"ActionWord", R"("action":"present")"},
                      HostileField{"ActionStringNegative", R"("action":"-1")"},
                      HostileField{"ActionStringFraction", R"("action":"1.5")"},
                      HostileField{"ActionStringTooBig", R"("action":"7")"},
                      HostileField{"ActionEmptyString", R"("action":"")"},
                      HostileField{"ActionNull", R"("action":null)"},
                      HostileField{"ActionBool", R"("action":true)"},
                      HostileField{"ActionArray", R"("action":[1])"}),
    [](const auto& info) { return info.param.name; });

// A member whose text is not valid Unicode is kept, with U+FFFD in place of what cannot be
// represented: invalid UTF-8 anywhere (which simdjson refuses for the whole document) and a lone
// surrogate escape in a string. No channel fails because of it, in any of the three parsers.
TEST(BatchParserUnicodeTest, AMemberThatIsNotValidUnicodeIsKeptWithReplacementCharacters) {
  const std::string r = "\xEF\xBF\xBD";
  const std::string bad_bytes = R"({"id":"k1:1:0","clientId":"bad)"
                                "\xFF"
                                R"(","connectionId":"k1","data":"caf)"
                                "\xC3"
                                R"((","action":1})";
  const std::string lone =
      R"({"id":"k2:1:0","clientId":"lone\ud800x","connectionId":"k2","data":"\ud800","action":1})";
  const std::string body = R"({"results":[)" + kA + "," + kB + R"(,{"channel":"x","presence":[)" +
                           bad_bytes + "," + lone + "]}]}";
  BatchPresenceResult result = ParseBatchPresence(200, body);
  ASSERT_TRUE(result.ok) << result.error.message;
  ASSERT_EQ(result.channels.size(), 3u);
  EXPECT_TRUE(result.channels[0].ok);
  EXPECT_TRUE(result.channels[1].ok);
  const ChannelPresence& x = result.channels[2];
  ASSERT_TRUE(x.ok) << x.error.message;
  ASSERT_EQ(x.members.size(), 2u);
  EXPECT_EQ(x.members[0].client_id, "bad" + r);
  EXPECT_EQ(x.members[0].data, "\"caf" + r + "(\"");
  EXPECT_EQ(x.members[1].client_id, "lone" + r + "x");
  EXPECT_EQ(x.members[1].data, R"("\ud800")") << "data passes through as Ably sent it";

  std::vector<Member> members;
  AblyError error;
  ASSERT_TRUE(ParsePresencePage("[" + bad_bytes + "," + lone + "]", members, error))
      << error.message;
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].client_id, "bad" + r);
  EXPECT_EQ(members[1].client_id, "lone" + r + "x");
  std::vector<PresenceMessage> messages;
  ASSERT_TRUE(ParseHistoryPage("[" + bad_bytes + "," + lone + "]", messages, error))
      << error.message;
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].member.client_id, "lone" + r + "x");
}

TEST(BatchParserUnicodeTest, AClientIdThatIsNotAStringSaysSo) {
  const std::string body =
      R"({"results":[{"channel":"x","presence":[{"clientId":7,"connectionId":"k"}]},)"
      R"({"channel":"y","presence":[{"connectionId":"k"}]}]})";
  BatchPresenceResult result = ParseBatchPresence(200, body);
  ASSERT_TRUE(result.ok);
  ASSERT_EQ(result.channels.size(), 2u);
  EXPECT_FALSE(result.channels[0].ok);
  EXPECT_EQ(result.channels[0].error.message,
            "malformed presence message: clientId is not a string");
  EXPECT_EQ(result.channels[1].error.message, "malformed presence message: clientId missing");
}

// No strict prefix of a valid response may parse as a successful one.
TEST(BatchParserFieldsTest, EveryTruncationIsAWholeFailure) {
  const std::string body =
      R"({"successCount":1,"failureCount":1,"results":[)" + kA + "," + kDenied + "]}";
  ASSERT_TRUE(ParseBatchPresence(200, body).ok);
  for (size_t n = 0; n < body.size(); ++n) {
    BatchPresenceResult result = ParseBatchPresence(200, std::string_view(body).substr(0, n));
    EXPECT_FALSE(result.ok) << "prefix of " << n << " bytes parsed";
  }
}

// Ably's own presence fixtures (ably-common test-resources/test-app-setup.json).
TEST(BatchParserFixtureTest, AblyCommonPresenceFixtures) {
  const std::string body =
      testing::ReadFile(std::string(PRESENCED_TESTDATA) + "/ably/presence_fixtures_v3.json");
  ASSERT_FALSE(body.empty());
  BatchPresenceResult result = ParseBatchPresence(200, body);
  ASSERT_TRUE(result.ok) << result.error.message;
  ASSERT_EQ(result.channels.size(), 1u);
  EXPECT_EQ(result.channels[0].channel, "persisted:presence_fixtures");
  ASSERT_TRUE(result.channels[0].ok);
  struct Want {
    const char* client_id;
    const char* data;
    const char* encoding;
  };
  const std::vector<Want> want = {
      {"client_bool", R"("true")", ""},
      {"client_int", R"("24")", ""},
      {"client_string", R"("This is a string clientData payload")", ""},
      {"client_json", R"("{ \"test\": \"This is a JSONObject clientData payload\"}")", ""},
      {"client_decoded", R"("{\"example\":{\"json\":\"Object\"}}")", "json"},
      {"client_encoded", R"("HO4cYSP8LybPYBPZPHQOtuD53yrD3YV3NBoTEYBh4U0N1QXHbtkfsDfTspKeLQFt")",
       "json/utf-8/cipher+aes-128-cbc/base64"},
  };
  const std::vector<Member>& members = result.channels[0].members;
  ASSERT_EQ(members.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(members[i].client_id, want[i].client_id);
    EXPECT_EQ(members[i].data, want[i].data) << want[i].client_id;
    EXPECT_EQ(members[i].encoding, want[i].encoding) << want[i].client_id;
    EXPECT_EQ(members[i].connection_id, "fixConn" + std::to_string(i));
    EXPECT_EQ(members[i].timestamp, 1700000000000 + static_cast<int64_t>(i));
  }
}

}  // namespace
}  // namespace presenced
