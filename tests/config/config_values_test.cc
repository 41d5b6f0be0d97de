// Tables for the value parsers behind the config file: durations, sizes, listen addresses, URLs.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "config/config_loader.h"
#include "config/reserved_headers.h"
#include "config/value_parsers.h"
#include "config_test_helpers.h"

namespace presenced {
namespace {

using config_internal::FormatDuration;
using config_internal::NormalizeHttpUrl;
using config_internal::ParseListenAddress;

TEST(ConfigParseDurationTest, Table) {
  struct Case {
    std::string text;
    std::optional<int64_t> ms;
  };
  const Case cases[] = {
      {"500ms", 500},
      {"1500ms", 1500},
      {"15s", 15'000},
      {"5m", 300'000},
      {"24h", 86'400'000},
      {"0s", 0},
      {"0ms", 0},
      {"72h", 259'200'000},
      {"", std::nullopt},
      {"15", std::nullopt},  // a unit is required
      {"s", std::nullopt},
      {"1.5s", std::nullopt},
      {"-1s", std::nullopt},
      {"+1s", std::nullopt},
      {" 1s", std::nullopt},
      {"1s ", std::nullopt},
      {"1 s", std::nullopt},
      {"1d", std::nullopt},
      {"1S", std::nullopt},
      {"1m30s", std::nullopt},
      {"1us", std::nullopt},
      {"99999999999999999999s", std::nullopt},  // overflows uint64
      {"9223372036854775807h", std::nullopt},   // overflows milliseconds
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto parsed = ParseDuration(c.text);
    ASSERT_EQ(parsed.has_value(), c.ms.has_value());
    if (c.ms) {
      EXPECT_EQ(parsed->count(), *c.ms);
    }
  }
}

TEST(ConfigParseSizeTest, Table) {
  struct Case {
    std::string text;
    std::optional<uint64_t> bytes;
  };
  const Case cases[] = {
      {"0", 0},
      {"1024", 1024},
      {"64KiB", 64ull << 10},
      {"64MiB", 64ull << 20},
      {"2GiB", 2ull << 30},
      {"18446744073709551615", 18446744073709551615ull},
      {"", std::nullopt},
      {"MiB", std::nullopt},
      {"64MB", std::nullopt},
      {"64mib", std::nullopt},
      {"64 MiB", std::nullopt},
      {"1.5MiB", std::nullopt},
      {"-1", std::nullopt},
      {"64TiB", std::nullopt},
      {"18446744073709551616", std::nullopt},  // overflows uint64
      {"17179869184GiB", std::nullopt},        // overflows after scaling
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(ParseSize(c.text), c.bytes);
  }
}

TEST(ConfigFormatDurationTest, UsesTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
  EXPECT_EQ(FormatDuration(Duration(250)), "250ms");
  EXPECT_EQ(FormatDuration(Duration(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(Duration(15'000)), "15s");
  EXPECT_EQ(FormatDuration(Duration(90'000)), "90s");
  EXPECT_EQ(FormatDuration(Duration(60'000)), "1m");
  EXPECT_EQ(FormatDuration(Duration(3'600'000)), "1h");
  EXPECT_EQ(FormatDuration(Duration(72ll * 3'600'000)), "72h");
}

TEST(ConfigParseListenAddressTest, Table) {
  struct Case {
    std::string text;
    bool ok;
    std::string host;
    uint16_t port;
  };
  const Case cases[] = {
      {"0.0.0.0:9847", true, "0.0.0.0", 9847},
      {"127.0.0.1:0", true, "127.0.0.1", 0},
      {"localhost:65535", true, "localhost", 65535},
      {"[::1]:9847", true, "::1", 9847},
      {"[::]:80", true, "::", 80},
      {":9847", true, "0.0.0.0", 9847},
      {"0.0.0.0", false, "", 0},
      {"0.0.0.0:", false, "", 0},
      {"0.0.0.0:65536", false, "", 0},
      {"0.0.0.0:-1", false, "", 0},
      {"0.0.0.0:http", false, "", 0},
      {"::1:9847", false, "", 0},
      {"[::1]", false, "", 0},
      {"[]:80", false, "", 0},
      {"[127.0.0.1]:80", false, "", 0},
      {"bad host:80", false, "", 0},
      {"", false, "", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto parsed = ParseListenAddress(c.text);
    ASSERT_EQ(parsed.has_value(), c.ok);
    if (!c.ok) continue;
    EXPECT_EQ(parsed->host, c.host);
    EXPECT_EQ(parsed->port, c.port);
  }
}

TEST(ConfigNormalizeHttpUrlTest, Table) {
  struct Case {
    std::string text;
    bool base_only;
    std::optional<std::string> normalized;
  };
  const Case cases[] = {
      {"https://main.realtime.ably.net", true, "https://main.realtime.ably.net"},
      {"https://main.realtime.ably.net/", true, "https://main.realtime.ably.net"},
      {"http://127.0.0.1:8080//", true, "http://127.0.0.1:8080"},
      {"http://[::1]:8080/base/", true, "http://[::1]:8080/base"},
      {"HTTPS://example.com", true, "HTTPS://example.com"},
      {"https://example.com?x=1", true, std::nullopt},
      {"https://user:pw@example.com", true, std::nullopt},
      {"https://hooks.example.com/presence?token=x", false,
       "https://hooks.example.com/presence?token=x"},
      {"https://user:pw@hooks.example.com/p", false, std::nullopt},
      {"https://hooks.example.com/p@q", false, "https://hooks.example.com/p@q"},
      {"https://hooks.example.com/", false, "https://hooks.example.com/"},
      {"ftp://example.com", false, std::nullopt},
      {"example.com", false, std::nullopt},
      {"https://", false, std::nullopt},
      {"https:///path", false, std::nullopt},
      {"https://exa mple.com", false, std::nullopt},
      {"https://example.com:0", false, std::nullopt},
      {"https://example.com:99999", false, std::nullopt},
      {"https://example.com:x", false, std::nullopt},
      {"https://[::1", false, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(NormalizeHttpUrl(c.text, c.base_only), c.normalized);
  }
}

TEST(ConfigUserInfoTest, OnlyInTheAuthority) {
  EXPECT_TRUE(config_internal::HasUserInfo("https://user:pw@hooks.example.com/p"));
  EXPECT_TRUE(config_internal::HasUserInfo("http://token@h:8080"));
  EXPECT_FALSE(config_internal::HasUserInfo("https://hooks.example.com/a@b?c=d@e"));
  EXPECT_FALSE(config_internal::HasUserInfo("https://hooks.example.com?x=@"));
}

// Slack, Discord and Zapier put the token in the path: only scheme, host and port are shown.
TEST(ConfigRedactUrlTest, KeepsOnlySchemeHostAndPort) {
  EXPECT_EQ(config_internal::RedactUrl("https://u:p@h.example.com:8443/x?token=t#f"),
            "https://h.example.com:8443");
  EXPECT_EQ(config_internal::RedactUrl("https://h.example.com/a@b"), "https://h.example.com");
  EXPECT_EQ(config_internal::RedactUrl("https://hooks.slack.com/services/T0/B0/XXXX"),
            "https://hooks.slack.com");
  EXPECT_EQ(config_internal::RedactUrl("http://[::1]:8080?k=v"), "http://[::1]:8080");
  EXPECT_EQ(config_internal::RedactUrl("no-scheme/secret"), "(not a URL)");
}

TEST(ConfigProxyUrlTest, HttpProxiesWithOrWithoutScheme) {
  using config_internal::NormalizeProxyUrl;
  EXPECT_EQ(NormalizeProxyUrl("http://proxy.corp:3128"), "http://proxy.corp:3128");
  EXPECT_EQ(NormalizeProxyUrl("HTTP://proxy.corp:3128/"), "http://proxy.corp:3128");
  EXPECT_EQ(NormalizeProxyUrl("proxy.corp:3128"), "http://proxy.corp:3128");
  EXPECT_EQ(NormalizeProxyUrl("http://u:p%40ss@10.0.0.1:8080"), "http://u:p%40ss@10.0.0.1:8080");
  EXPECT_EQ(NormalizeProxyUrl("http://[::1]:3128"), "http://[::1]:3128");
  EXPECT_EQ(NormalizeProxyUrl("https://proxy.corp:3128"), std::nullopt);
  EXPECT_EQ(NormalizeProxyUrl("socks5://proxy.corp:1080"), std::nullopt);
  EXPECT_EQ(NormalizeProxyUrl("http://proxy.corp:3128/path"), std::nullopt);
  EXPECT_EQ(NormalizeProxyUrl("http://proxy corp:3128"), std::nullopt);
  EXPECT_EQ(NormalizeProxyUrl(""), std::nullopt);
}

TEST(ConfigIsAblyKeyTest, Table) {
  EXPECT_TRUE(config_internal::IsAblyKey("xVLyHw.A-pwhQ:abc+/=def"));
  EXPECT_FALSE(config_internal::IsAblyKey(""));
  EXPECT_FALSE(config_internal::IsAblyKey("xVLyHw.A-pwhQ"));
  EXPECT_FALSE(config_internal::IsAblyKey("xVLyHw:secret"));
  EXPECT_FALSE(config_internal::IsAblyKey(".keyid:secret"));
  EXPECT_FALSE(config_internal::IsAblyKey("app.:secret"));
  EXPECT_FALSE(config_internal::IsAblyKey("app.key:"));
  EXPECT_FALSE(config_internal::IsAblyKey("app.key:sec ret"));
}

TEST(ConfigReservedHeaderTest, IsCaseInsensitive) {
  EXPECT_TRUE(IsReservedWebhookHeader("content-type"));
  EXPECT_TRUE(IsReservedWebhookHeader("User-Agent"));
  EXPECT_TRUE(IsReservedWebhookHeader("X-ABLY-SIGNATURE"));
  EXPECT_TRUE(IsReservedWebhookHeader("Webhook-Id"));
  EXPECT_FALSE(IsReservedWebhookHeader("Authorization"));
  EXPECT_FALSE(IsReservedWebhookHeader("X-Webhook-Id"));
}

// Bytes >= 0x80 are not letters: they are neither folded (::tolower on a plain char is UB for
// them, and locale-dependent) nor mistaken for ASCII.
TEST(ConfigReservedHeaderTest, BytesAbove0x7FAreLeftAlone) {
  EXPECT_EQ(AsciiLower("X-\xC4\xD6-Team"), "x-\xC4\xD6-team");
  EXPECT_EQ(AsciiLower("\x80\xFF"), "\x80\xFF");
  EXPECT_TRUE(IsReservedWebhookHeader("WEBHOOK-\xC9t\xE9"));
  EXPECT_FALSE(
      IsReservedWebhookHeader("\xC3\x89"
                              "Content-Type"));
  EXPECT_FALSE(IsReservedWebhookHeader("User-Agent\xA0"));
  // The loader rejects such a name before asking whether it is reserved.
  EXPECT_NE(testing::MustFail("channels: [a]\nwebhooks:\n  - name: w\n    url: http://h/\n"
                              "    headers: {\"X-\xC3\xA9\": v}\n")
                .find("must be a valid HTTP header name (line 5)"),
            std::string::npos);
}

}  // namespace
}  // namespace presenced
