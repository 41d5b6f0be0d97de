#include "presence/client_directory.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "test_seed.h"

namespace presenced {
namespace {

TEST(ClientDirectoryTest, CountsAClientIdOnceWhateverItsChannels) {
  ClientDirectory directory;
  directory.Add("ann");
  directory.Add("ann");
  directory.Add("bob");
  EXPECT_EQ(directory.size(), 2u);
  EXPECT_EQ(directory.ChannelsOf("ann"), 2u);
  directory.Remove("ann");
  EXPECT_EQ(directory.size(), 2u);
  directory.Remove("ann");
  EXPECT_EQ(directory.size(), 1u);
  EXPECT_EQ(directory.ChannelsOf("ann"), 0u);
  directory.Remove("ann");  // not counted: ignored
  directory.Remove("zed");
  EXPECT_EQ(directory.size(), 1u);
  EXPECT_EQ(directory.ChannelsOf("bob"), 1u);
}

TEST(ClientDirectoryTest, ReserveKeepsWhatIsCounted) {
  ClientDirectory directory;
  directory.Add("ann");
  directory.Reserve(100'000);
  directory.Reserve(10);  // never shrinks
  EXPECT_EQ(directory.ChannelsOf("ann"), 1u);
  for (int i = 0; i < 100'000; ++i) directory.Add("user-" + std::to_string(i));
  EXPECT_EQ(directory.size(), 100'001u);
  EXPECT_EQ(directory.ChannelsOf("user-99999"), 1u);
}

// Random adds and removes against a std::map model: growth and backward-shift deletion keep every
// count findable.
TEST(ClientDirectoryTest, AgreesWithAMapThroughGrowthAndDeletion) {
  std::mt19937 rng(static_cast<std::mt19937::result_type>(testing::TestSeed(7)));
  ClientDirectory directory;
  std::map<std::string, uint32_t> model;
  for (int step = 0; step < 200'000; ++step) {
    const std::string id = "user-" + std::to_string(rng() % 5'000);
    if (rng() % 3 != 0) {
      directory.Add(id);
      ++model[id];
    } else {
      directory.Remove(id);
      if (auto it = model.find(id); it != model.end() && --it->second == 0) model.erase(it);
    }
    if (step % 20'000 == 0) {
      for (const auto& [client, count] : model) ASSERT_EQ(directory.ChannelsOf(client), count);
    }
  }
  EXPECT_EQ(directory.size(), model.size());
  for (const auto& [client, count] : model) EXPECT_EQ(directory.ChannelsOf(client), count);
  for (const auto& [client, count] : model) {
    for (uint32_t i = 0; i < count; ++i) directory.Remove(client);
  }
  EXPECT_EQ(directory.size(), 0u);
}

}  // namespace
}  // namespace presenced
