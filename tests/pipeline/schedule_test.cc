#include "pipeline/schedule.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(NextSlotTest, StaysOnTheGridWithoutDrift) {
  const steady_clock::time_point start{milliseconds(1'000)};
  const milliseconds interval(15'000);
  struct Case {
    int64_t now_ms;
    int64_t want_ms;
  } cases[] = {
      {0, 1'000},        // before the grid starts: its first point
      {1'000, 16'000},   // exactly on a point: the next one
      {1'001, 16'000},   // a short cycle
      {15'999, 16'000},  // a cycle that used almost all its slot
      {16'000, 31'000},  // exactly one interval
      {47'500, 61'000},  // an overrun skips the missed slots instead of bursting
      {1'000 + 15'000 * 1000, 1'000 + 15'000 * 1001},  // no drift after 1000 cycles
  };
  for (const auto& c : cases) {
    const auto next = NextSlot(start, interval, steady_clock::time_point{milliseconds(c.now_ms)});
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(next.time_since_epoch()).count(), c.want_ms)
        << "now=" << c.now_ms;
  }
}

}  // namespace
}  // namespace presenced
