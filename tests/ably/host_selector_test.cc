#include "ably/host_selector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_random.h"

namespace presenced {
namespace {

using testing::FakeClock;
using testing::ScriptedRandom;
using Hosts = std::vector<std::string>;

const Hosts kFallbacks = {"f1", "f2", "f3", "f4", "f5"};

// The fallback order is drawn from the injected Random (a Fisher-Yates shuffle, one draw per
// position), so a test chooses it.
TEST(HostSelectorTest, FallbackOrderComesFromTheInjectedRandom) {
  FakeClock clock;
  ScriptedRandom keep({0.999});  // every draw picks the last place: the order stays
  HostSelector kept(kFallbacks, clock, keep);
  EXPECT_EQ(kept.Order(), (Hosts{"", "f1", "f2", "f3"}));
  EXPECT_EQ(keep.draws(), 4u);

  ScriptedRandom first({0.0});  // every draw picks the first place
  HostSelector rotated(kFallbacks, clock, first);
  EXPECT_EQ(rotated.Order(), (Hosts{"", "f2", "f3", "f4"}));
}

TEST(HostSelectorTest, APreferredFallbackGoesFirstThenThePrimary) {
  FakeClock clock;
  ScriptedRandom keep({0.999});
  HostSelector hosts(kFallbacks, clock, keep);
  hosts.Succeeded("f3");
  EXPECT_EQ(hosts.Order(), (Hosts{"f3", "", "f1", "f2"}));
  clock.Advance(HostSelector::kPreferFor);
  EXPECT_EQ(hosts.Order(), (Hosts{"", "f1", "f2", "f3"}));
}

}  // namespace
}  // namespace presenced
