#include "net/url.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

struct ParseCase {
  const char* url;
  bool ok;
  const char* scheme;
  const char* host;
  uint16_t port;
  const char* target;
};

class ParseUrlTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseUrlTest, Parses) {
  const ParseCase& c = GetParam();
  Result<Url> url = ParseUrl(c.url);
  ASSERT_EQ(url.ok(), c.ok) << c.url;
  if (!c.ok) return;
  EXPECT_EQ(url->scheme, c.scheme);
  EXPECT_EQ(url->host, c.host);
  EXPECT_EQ(url->port, c.port);
  EXPECT_EQ(url->target, c.target);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseUrlTest,
    ::testing::Values(ParseCase{"https://main.realtime.ably.net", true, "https",
                                "main.realtime.ably.net", 443, "/"},
                      ParseCase{"http://127.0.0.1:8080/presence?channels=a%2Cb", true, "http",
                                "127.0.0.1", 8080, "/presence?channels=a%2Cb"},
                      ParseCase{"HTTP://h/p%2Fq#frag", true, "http", "h", 80, "/p%2Fq"},
                      ParseCase{"http://h?x=1", true, "http", "h", 80, "/?x=1"},
                      ParseCase{"https://[::1]:9000/x", true, "https", "::1", 9000, "/x"},
                      ParseCase{"ftp://h/", false, "", "", 0, ""},
                      ParseCase{"h/path", false, "", "", 0, ""},
                      ParseCase{"http://:80/", false, "", "", 0, ""},
                      ParseCase{"http://h:0/", false, "", "", 0, ""},
                      ParseCase{"http://h:99999/", false, "", "", 0, ""},
                      ParseCase{"http://h:8x/", false, "", "", 0, ""},
                      ParseCase{"http://user:pw@h/", false, "", "", 0, ""}));

TEST(UrlTest, OriginAndAuthority) {
  Url url = ParseUrl("https://example.com/x").value();
  EXPECT_EQ(url.Origin(), "https://example.com:443");
  EXPECT_EQ(url.Authority(), "https://example.com");
  Url local = ParseUrl("http://[::1]:8080/").value();
  EXPECT_EQ(local.Origin(), "http://[::1]:8080");
  EXPECT_EQ(local.Authority(), "http://[::1]:8080");
}

struct ResolveCase {
  const char* base;
  const char* reference;
  const char* want;
};

class ResolveTest : public ::testing::TestWithParam<ResolveCase> {};

TEST_P(ResolveTest, Resolves) {
  const ResolveCase& c = GetParam();
  EXPECT_EQ(ResolveReference(ParseUrl(c.base).value(), c.reference), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ResolveTest,
    ::testing::Values(ResolveCase{"http://h:1/channels?prefix=a", "./channels?cursor=2",
                                  "http://h:1/channels?cursor=2"},
                      ResolveCase{"http://h:1/base/channels?prefix=a", "./channels?c=2",
                                  "http://h:1/base/channels?c=2"},
                      ResolveCase{"http://h:1/base/channels?prefix=a", "channels?c=2",
                                  "http://h:1/base/channels?c=2"},
                      ResolveCase{"http://h:1/base/channels?prefix=a", "/channels?c=3",
                                  "http://h:1/channels?c=3"},
                      ResolveCase{"https://h/channels/x%2Fy/presence?limit=1", "./presence?p=2",
                                  "https://h/channels/x%2Fy/presence?p=2"},
                      ResolveCase{"http://h:1/channels", "https://other/channels?c=4",
                                  "https://other/channels?c=4"}));

}  // namespace
}  // namespace presenced
