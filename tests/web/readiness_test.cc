#include "web/readiness.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

TEST(ReadinessTest, ReadyOnlyWhenEveryCauseIsCleared) {
  Readiness readiness;
  EXPECT_FALSE(readiness.NotReadyReason().has_value());
  readiness.Set("first_cycle", "first cycle pending");
  readiness.Set("credentials", "Ably rejected the credentials (40142)");
  EXPECT_EQ(readiness.NotReadyReason().value_or(""),
            "Ably rejected the credentials (40142)\nfirst cycle pending\n");
  readiness.Clear("first_cycle");
  EXPECT_EQ(readiness.NotReadyReason().value_or(""), "Ably rejected the credentials (40142)\n");
  readiness.Set("credentials", "token expired");
  EXPECT_EQ(readiness.NotReadyReason().value_or(""), "token expired\n");
  readiness.Clear("credentials");
  EXPECT_FALSE(readiness.NotReadyReason().has_value());
}

}  // namespace
}  // namespace presenced
