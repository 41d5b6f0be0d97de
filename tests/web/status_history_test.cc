// LastHour (the status page's per-minute memory) and the text helpers that bound every field.

#include "web/status_history.h"

#include <gtest/gtest.h>

#include <string>

#include "web/status_chart.h"
#include "web/status_text.h"

namespace presenced {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kT0 = 1'700'000'000'000 / kMinute * kMinute;  // a minute's start

TEST(LastHourTest, MinutesEndWithTheCurrentOneAndForgetAfterAnHour) {
  LastHour hour;
  hour.AddEvents(kT0 + 1000, Action::kEnter, 3);
  hour.AddCycle(kT0 + 2000, 40, {});
  hour.AddCycle(kT0 + 50'000, 42, {});  // the minute's last cycle counts
  hour.AddEvents(kT0 + kMinute, Action::kLeave, 1);

  auto minutes = hour.Minutes(kT0 + kMinute + 5);
  ASSERT_EQ(minutes.size(), 60u);
  EXPECT_EQ(minutes.back().start_ms, kT0 + kMinute);
  EXPECT_EQ(minutes.back().events, 1u);
  EXPECT_FALSE(minutes.back().sampled);
  EXPECT_EQ(minutes[58].start_ms, kT0);
  EXPECT_TRUE(minutes[58].sampled);
  EXPECT_EQ(minutes[58].members, 42u);
  EXPECT_EQ(minutes[58].events, 3u);
  EXPECT_EQ(hour.EventsByAction(kT0 + kMinute).at(Action::kEnter), 3u);

  // 59 minutes on, kT0's minute is the oldest shown; one more and it is gone, even after its
  // bucket is reused.
  EXPECT_EQ(hour.EventsByAction(kT0 + 59 * kMinute).count(Action::kEnter), 1u);
  EXPECT_EQ(hour.EventsByAction(kT0 + 60 * kMinute).count(Action::kEnter), 0u);
  hour.AddEvents(kT0 + 60 * kMinute, Action::kUpdate, 5);
  EXPECT_EQ(hour.EventsByAction(kT0 + 60 * kMinute).count(Action::kEnter), 0u);
  EXPECT_EQ(hour.EventsByAction(kT0 + 60 * kMinute).at(Action::kUpdate), 5u);
}

TEST(LastHourTest, ErrorsByCodeSumTheHourKeepTheNewestMessageAndAreBounded) {
  LastHour hour;
  hour.AddCycle(kT0, 0, {{40160, 2, "old"}, {0, 1, "connect failed"}});
  hour.AddCycle(kT0 + kMinute, 0, {{40160, 3, "new"}});
  auto errors = hour.ErrorsByCode(kT0 + kMinute);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].code, 40160);
  EXPECT_EQ(errors[0].count, 5u);
  EXPECT_EQ(errors[0].message, "new");
  EXPECT_EQ(errors[1].code, 0);

  std::vector<ErrorCodeCount> many;
  for (int code = 1; code <= 100; ++code) many.push_back({code, 1, "m"});
  LastHour bounded;
  bounded.AddCycle(kT0, 0, many);
  errors = bounded.ErrorsByCode(kT0);
  ASSERT_EQ(errors.size(), LastHour::kMaxCodesPerMinute + 1);
  EXPECT_EQ(errors[0].code, LastHour::kOtherCodes);
  EXPECT_EQ(errors[0].count, 100u - LastHour::kMaxCodesPerMinute);
}

TEST(StatusTextTest, CutKeepsWholeCharactersAndSaysHowMuchIsLeftOut) {
  EXPECT_EQ(Cut("short", 10), "short");
  EXPECT_EQ(Cut("abcdef", 4), "abcd\u2026[2 more bytes]");
  // "é" is two bytes: a cut at 3 would split it, so it stops before.
  EXPECT_EQ(Cut("ab\u00e9z", 3), "ab\u2026[3 more bytes]");
}

TEST(StatusTextTest, EscapeCutBoundsTheEscapedBytes) {
  EXPECT_EQ(EscapeCut("<a href='x'>", 100), "&lt;a href=&#39;x&#39;&gt;");
  const std::string cut = EscapeCut(std::string(1000, '"'), 60);
  EXPECT_EQ(cut.find("&quot;&quot;&quot;&quot;&quot;&quot;&quot;&quot;&quot;&quot;\u2026[990 more"),
            0u);
  EXPECT_EQ(Ago(0, 5), "never");
  EXPECT_EQ(Ago(1000, 3'726'000), "1h 2m ago");
  EXPECT_EQ(IsoTime(1'700'000'000'000), "2023-11-14T22:13:20Z");
}

TEST(StatusChartTest, MembersAreALineOrADotAndEveryMinuteHasAHoverTitle) {
  LastHour hour;
  hour.AddCycle(kT0, 10, {});
  std::string svg = RenderChart(hour.Minutes(kT0));
  EXPECT_EQ(svg.find("<polyline"), std::string::npos);  // one sample: a dot
  EXPECT_NE(svg.find("<circle"), std::string::npos);
  hour.AddCycle(kT0 + kMinute, 20, {});
  hour.AddEvents(kT0 + kMinute, Action::kEnter, 4);
  svg = RenderChart(hour.Minutes(kT0 + kMinute));
  EXPECT_NE(svg.find("<polyline"), std::string::npos) << svg;
  EXPECT_NE(svg.find("UTC: 20 members, 4 events</title>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("members (top: 20)"), std::string::npos);
  size_t titles = 0;
  for (size_t at = svg.find("</title></rect>"); at != std::string::npos;
       at = svg.find("</title></rect>", at + 1)) {
    ++titles;
  }
  EXPECT_EQ(titles, 60u);
}

}  // namespace
}  // namespace presenced
