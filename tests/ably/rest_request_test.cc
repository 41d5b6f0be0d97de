#include "ably/rest_request.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

TEST(RestRequestTest, PercentEncode) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"abcXYZ019-._~", "abcXYZ019-._~"},
      {"foo:bar,baz", "foo%3Abar%2Cbaz"},
      {"a b/c?d&e=f#g%", "a%20b%2Fc%3Fd%26e%3Df%23g%25"},
      {"\xc3\xa9", "%C3%A9"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(PercentEncode(in), want) << in;
}

TEST(RestRequestTest, Base64MatchesRfc4648) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {"appId.keyId:secret", "YXBwSWQua2V5SWQ6c2VjcmV0"},
      {std::string("\xff\xfe\x00", 3), "//4A"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(Base64Encode(in), want) << in;
}

TEST(RestRequestTest, BatchPresenceQuery) {
  struct Case {
    std::vector<std::string> names;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{"a"}, "channels=a"},
      {{"a", "b", "c"}, "channels=a%2Cb%2Cc"},
      {{"foo:bar", "baz"}, "channels=foo%3Abar%2Cbaz"},
      {{"foo:bar,baz"}, "channels=foo%3Abar%2Cbaz&separator=%7C"},
      {{"x,y", "p|q"}, "channels=x%2Cy%3Bp%7Cq&separator=%3B"},
  };
  for (const Case& c : cases) EXPECT_EQ(BatchPresenceQuery(c.names).value_or("<none>"), c.want);

  std::string every;
  for (char c = '!'; c <= '~'; ++c) every.push_back(c);
  EXPECT_FALSE(BatchPresenceQuery({every}).has_value());
}

TEST(RestRequestTest, NextLink) {
  struct Case {
    Headers headers;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{}, ""},
      {{{"Link", R"(<./presence?limit=100>; rel="first")"}}, ""},
      {{{"Link", R"(<./p?a=1>; rel="first", <./p?a=2>; rel="next")"}}, "./p?a=2"},
      {{{"link", R"(<./p?a=2>; rel="next", <./p?a=1>; rel="first")"}}, "./p?a=2"},
      {{{"Link", R"(<./p?a=1>; rel="first")"}, {"Link", R"(</abs?x=2>; rel=next)"}}, "/abs?x=2"},
      {{{"Link", R"(<./p?a=3>; rel="current next")"}}, "./p?a=3"},
      {{{"Link", R"(<./p?a=4>; rel="nextpage")"}}, ""},
  };
  for (const Case& c : cases) EXPECT_EQ(NextLink(c.headers), c.want);
}

TEST(RestRequestTest, HeadersAskForProtocolVersionThree) {
  // Version 3 is what ably-js sends (defaults.ts protocolVersion) and answers BatchResult.
  const Headers headers = AblyRequestHeaders();
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"X-Ably-Version", "3"}));
}

}  // namespace
}  // namespace presenced
