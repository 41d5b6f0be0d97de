// Query-string decoding and encoding, and the JSON string writer.

#include "fake_ably/query.h"

#include <gtest/gtest.h>

#include "fake_ably/json_writer.h"

namespace presenced::testing {
namespace {

TEST(QueryTest, PercentDecode) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"foo%3Abar%2Cbaz", "foo:bar,baz"},
      {"a+b", "a b"},
      {"%e2%82%ac", "\xe2\x82\xac"},
      {"bad%zz", "bad%zz"},
      {"end%4", "end%4"},
      {"", ""},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(PercentDecode(in), out) << in;
}

TEST(QueryTest, PercentEncodeRoundTrips) {
  const std::string name = "room:a b/c,d+e~f";
  EXPECT_EQ(PercentEncode(name), "room%3Aa%20b%2Fc%2Cd%2Be~f");
  EXPECT_EQ(PercentDecode(PercentEncode(name)), name);
}

TEST(QueryTest, ParseQueryAndSplit) {
  const QueryParams params = ParseQuery("channels=a%2Cb&flag&rnd=1&channels=ignored");
  EXPECT_EQ(FindParam(params, "channels"), "a,b");
  EXPECT_EQ(FindParam(params, "flag"), "");
  EXPECT_EQ(FindParam(params, "missing"), std::nullopt);
  EXPECT_EQ(SplitNonEmpty("a,,b,", ","), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitNonEmpty("a||b", "||"), (std::vector<std::string>{"a", "b"}));
}

TEST(JsonWriterTest, EscapesStrings) {
  std::string out;
  AppendJsonString(out, "a\"b\\c\n\x01\xc3\xa9");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
}

}  // namespace
}  // namespace presenced::testing
