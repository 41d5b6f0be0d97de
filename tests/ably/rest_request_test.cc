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

HttpResponse Page(std::string link = "", size_t body_bytes = 2) {
  HttpResponse response;
  response.status = 200;
  response.body.assign(body_bytes, ' ');
  if (!link.empty()) response.headers.emplace_back("Link", "<" + link + R"(>; rel="next")");
  return response;
}

constexpr char kFirst[] = "/channels/room%3A1/presence/history?start=1&limit=1000";

TEST(PageWalkTest, FollowsRelativeLinksOnTheSameResourceToTheLastPage) {
  PageWalk walk(kFirst, 10, 1 << 20);
  EXPECT_EQ(walk.target(), kFirst);
  EXPECT_EQ(walk.page(), 1);
  ASSERT_TRUE(*walk.Next(Page("./history?start=1&cursor=a")));
  EXPECT_EQ(walk.target(), "/channels/room%3A1/presence/history?start=1&cursor=a");
  EXPECT_EQ(walk.page(), 2);
  ASSERT_TRUE(*walk.Next(Page("/channels/room%3A1/presence/history?cursor=b")));
  EXPECT_EQ(walk.target(), "/channels/room%3A1/presence/history?cursor=b");
  Result<bool> last = walk.Next(Page());
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(*last);
}

TEST(PageWalkTest, RefusesLinksThatLeaveTheResource) {
  for (const char* link : {"../../../channels?prefix=x", "../history?cursor=a",
                           "./presence?limit=1", "/channels/other/presence/history?cursor=a",
                           "https://evil.example/channels/room%3A1/"
                           "presence/history?cursor=a",
                           "//evil.example/x", "./history/../history?cursor=a"}) {
    SCOPED_TRACE(link);
    PageWalk walk(kFirst, 10, 1 << 20);
    Result<bool> next = walk.Next(Page(link));
    ASSERT_FALSE(next.ok());
    EXPECT_NE(next.error().message.find("leaves the resource read"), std::string::npos)
        << next.error().message;
  }
}

TEST(PageWalkTest, StopsAtALinkToAPageAlreadyRead) {
  PageWalk walk(kFirst, 10, 1 << 20);
  Result<bool> itself = walk.Next(Page(kFirst));
  ASSERT_FALSE(itself.ok());
  EXPECT_NE(itself.error().message.find("repeats a page already read"), std::string::npos);

  PageWalk cycle(kFirst, 10, 1 << 20);
  ASSERT_TRUE(*cycle.Next(Page("./history?cursor=a")));
  ASSERT_TRUE(*cycle.Next(Page("./history?cursor=b")));
  EXPECT_FALSE(cycle.Next(Page("./history?cursor=a")).ok());

  // Enumeration: an empty page may send the reader back to the same position, within the bounds.
  PageWalk again("/channels?prefix=r", 3, 1 << 20);
  ASSERT_TRUE(*again.Next(Page("./channels?prefix=r&cursor=x")));
  ASSERT_TRUE(*again.Next(Page("./channels?prefix=r&cursor=x"), /*may_repeat=*/true));
  EXPECT_FALSE(again.Next(Page("./channels?prefix=r&cursor=x"), true).ok());
}

TEST(PageWalkTest, BoundsThePagesAndTheBytesOfOneRead) {
  PageWalk pages(kFirst, 3, 1 << 20);
  ASSERT_TRUE(*pages.Next(Page("./history?cursor=1")));
  ASSERT_TRUE(*pages.Next(Page("./history?cursor=2")));
  Result<bool> third = pages.Next(Page("./history?cursor=3"));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().message, "more than 3 pages in one read");
  PageWalk last(kFirst, 3, 1 << 20);
  ASSERT_TRUE(*last.Next(Page("./history?cursor=1")));
  ASSERT_TRUE(*last.Next(Page("./history?cursor=2")));
  EXPECT_TRUE(last.Next(Page()).ok()) << "a last page within the bound is read";

  PageWalk bytes(kFirst, 100, 2 << 20);
  ASSERT_TRUE(*bytes.Next(Page("./history?cursor=1", 1 << 20)));
  ASSERT_TRUE(*bytes.Next(Page("./history?cursor=2", 1 << 20)));
  Result<bool> over = bytes.Next(Page("./history?cursor=3", 1));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message, "more than 2 MiB in one read");
}

TEST(PageWalkTest, RestartForgetsWhatWasRead) {
  PageWalk walk(kFirst, 2, 1 << 20);
  ASSERT_TRUE(*walk.Next(Page("./history?cursor=1")));
  walk.Restart("/channels/room%3A1/presence/history?start=1&limit=500");
  EXPECT_EQ(walk.page(), 1);
  ASSERT_TRUE(*walk.Next(Page("./history?cursor=1")));
}

}  // namespace
}  // namespace presenced
