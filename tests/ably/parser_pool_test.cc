#include "ably/parser_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "fakes/test_support.h"

namespace presenced {
namespace {

using namespace std::chrono_literals;

TEST(ParserPoolTest, OneParserPerFetchThreadAtMostOnePerCore) {
  EXPECT_EQ(ParsersFor(4, 2), 2u);
  EXPECT_EQ(ParsersFor(4, 8), 4u);
  EXPECT_EQ(ParsersFor(4, 0), 4u) << "cores unknown: one per thread";
  EXPECT_EQ(ParsersFor(0, 0), 1u);
  EXPECT_EQ(ParserPool(0).size(), 1u);
}

// With every parser taken, a thread waits until one is given back, and then gets that one.
TEST(ParserPoolTest, TakeWaitsForAFreeParser) {
  ParserPool pool(1);
  std::atomic<bool> second_took{false};
  std::atomic<JsonParser*> second{nullptr};
  std::thread other;
  JsonParser* first = nullptr;
  {
    const ParserPool::Lease lease = pool.Take();
    first = &lease.parser();
    other = std::thread([&] {
      const ParserPool::Lease next = pool.Take();
      second = &next.parser();
      second_took = true;
    });
    EXPECT_FALSE(testing::WaitFor([&] { return second_took.load(); }, 200ms))
        << "took a parser while the only one was in use";
  }
  EXPECT_TRUE(testing::WaitFor([&] { return second_took.load(); }));
  other.join();
  EXPECT_EQ(second.load(), first);
}

// A parse with a pool's parser keeps its buffers there, not in the calling thread's.
TEST(ParserPoolTest, AParseWithAGivenParserUsesItsBuffers) {
  const std::string body = R"({"results":[{"channel":"a","presence":[{"clientId":"x",)"
                           R"("connectionId":"c","action":1}]}]})" +
                           std::string(200'000, ' ');
  JsonParser parser;
  const size_t thread_capacity = ThreadParserCapacity();
  bool ok = false;
  ParseBatchPresenceViews(parser, 200, body, {}, {}, 0,
                          [&](const BatchPresenceViews& views) { ok = views.ok; });
  EXPECT_TRUE(ok);
  EXPECT_GE(parser.capacity(), body.size());
  EXPECT_EQ(ThreadParserCapacity(), thread_capacity);
}

}  // namespace
}  // namespace presenced
