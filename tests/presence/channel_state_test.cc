#include "presence/channel_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "presence/diff.h"

namespace presenced {
namespace {

ChannelState Build(std::vector<Member> members) {
  return Diff("ch", nullptr, std::move(members), DiffOptions{}, 0).next;
}

ChannelState Sample() {
  ChannelState s = Build({
      {"bob", "c1", "c1:0:0", R"({"a":1})", "json", 1633985256512},
      {"ann", "c2", "c2:7:3", "", "", -1},
      {"caf\xc3\xa9", "c3", "c3:0:0", std::string("\0\xff", 2), "utf-8/base64", 0},
  });
  // Leave a miss count behind for one member so Encode has to carry it.
  return Diff("ch", &s,
              {{"bob", "c1", "c1:0:0", R"({"a":1})", "json", 1633985256512},
               {"caf\xc3\xa9", "c3", "c3:0:0", std::string("\0\xff", 2), "utf-8/base64", 0}},
              DiffOptions{UpdateOn::kData, 3, false}, 0)
      .next;
}

TEST(ChannelStateTest, EmptyState) {
  ChannelState s;
  EXPECT_EQ(s.member_count(), 0u);
  EXPECT_EQ(s.client_count(), 0u);
  EXPECT_TRUE(s.empty());
  Result<ChannelState> back = ChannelState::Decode(s.Encode());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->empty());
}

TEST(ChannelStateTest, KeepsMembersSortedWithAllFields) {
  const ChannelState s = Sample();
  ASSERT_EQ(s.member_count(), 3u);
  std::vector<std::string> clients;
  s.ForEach([&](const MemberView& m) { clients.emplace_back(m.client_id); });
  EXPECT_EQ(clients, (std::vector<std::string>{"ann", "bob", "caf\xc3\xa9"}));
  const MemberView ann = s.member(0);
  EXPECT_EQ(ann.id, "c2:7:3");
  EXPECT_EQ(ann.timestamp, -1);
  EXPECT_EQ(ann.misses, 1u);
  const MemberView bob = s.member(1);
  EXPECT_EQ(bob.connection_id, "c1");
  EXPECT_EQ(bob.data, R"({"a":1})");
  EXPECT_EQ(bob.encoding, "json");
  EXPECT_EQ(bob.misses, 0u);
  EXPECT_EQ(s.member(2).data, std::string("\0\xff", 2));
}

TEST(ChannelStateTest, EncodeDecodeRoundTrip) {
  const ChannelState s = Sample();
  const std::string bytes = s.Encode();
  Result<ChannelState> back = ChannelState::Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->client_count(), 3u);
  EXPECT_EQ(back->Encode(), bytes);
}

TEST(ChannelStateTest, DecodeRejectsGarbage) {
  const std::string good = Sample().Encode();
  const std::vector<std::string> bad = {
      "",
      "PS",
      "XX\x01",
      std::string("PS\x02\x00", 4),                                           // unknown version
      "PS\x01",                                                               // no count
      std::string("PS\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 14),  // overlong varint
      std::string("PS\x01\x7f", 4),     // count larger than the input
      good + "x",                       // trailing bytes
      good.substr(0, good.size() - 1),  // truncated
  };
  for (const std::string& b : bad) {
    Result<ChannelState> r = ChannelState::Decode(b);
    EXPECT_FALSE(r.ok()) << "accepted " << testing::PrintToString(b);
  }
}

TEST(ChannelStateTest, DecodeRejectsOutOfOrderAndDuplicateKeys) {
  // Two members with the same key: hand-encoded, version 1.
  std::string dup = "PS\x01\x02";
  for (int i = 0; i < 2; ++i) {
    dup += std::string("\x01\x01\x01\x00\x00\x00\x00", 7) + "abc";
  }
  EXPECT_FALSE(ChannelState::Decode(dup).ok());
  std::string swapped = "PS\x01\x02";
  swapped += std::string("\x01\x01\x01\x00\x00\x00\x00", 7) + "bcd";
  swapped += std::string("\x01\x01\x01\x00\x00\x00\x00", 7) + "abc";
  EXPECT_FALSE(ChannelState::Decode(swapped).ok());
  std::string ordered = "PS\x01\x02";
  ordered += std::string("\x01\x01\x01\x00\x00\x00\x00", 7) + "abc";
  ordered += std::string("\x01\x01\x01\x00\x00\x00\x00", 7) + "bcd";
  EXPECT_TRUE(ChannelState::Decode(ordered).ok());
}

TEST(ChannelStateTest, DecodeNeverCrashesOnMutations) {
  const std::string good = Sample().Encode();
  // Every truncation and every single-byte corruption either decodes or errors; never crashes.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ChannelState::Decode(good.substr(0, n)).ok()) << n;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (int v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string m = good;
      m[i] = static_cast<char>(v);
      Result<ChannelState> r = ChannelState::Decode(m);
      if (r.ok()) {
        Result<ChannelState> again = ChannelState::Decode(r->Encode());
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, *r);
      }
    }
  }
}

TEST(ChannelStateTest, MemoryIsCompact) {
  std::vector<Member> members;
  size_t data_bytes = 0;
  for (int i = 0; i < 1000; ++i) {
    Member m{"user-" + std::to_string(i),
             "conn" + std::to_string(i),
             "conn" + std::to_string(i) + ":0:0",
             R"({"status":"online"})",
             "",
             1};
    data_bytes += m.client_id.size() + m.connection_id.size() + m.id.size() + m.data.size();
    members.push_back(std::move(m));
  }
  const ChannelState s = Build(std::move(members));
  EXPECT_GE(s.MemoryBytes(), data_bytes);
  EXPECT_LE(s.MemoryBytes() - data_bytes, 1000u * 48);
}

}  // namespace
}  // namespace presenced
