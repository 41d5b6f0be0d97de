// The steady-state core of a poll cycle: parse one 100-channel × 1,000-member v3 batch presence
// body (5% churn since the previous one) and diff every channel against its previous state.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "ably/batch_parser.h"
#include "presence/channel_state.h"
#include "presence/diff.h"
#include "snapshot_generator.h"

namespace presenced::bench {
namespace {

constexpr int64_t kObservedAt = 1'700'000'015'000;
constexpr uint64_t kSeed = 20240601;

BatchPresenceResult ParseOrDie(const std::string& body, size_t channels) {
  BatchPresenceResult parsed = ParseBatchPresence(200, body);
  if (!parsed.ok || parsed.channels.size() != channels) std::abort();
  return parsed;
}

struct Fixture {
  std::vector<ChannelState> before;  // states left by the previous body
  std::string body;                  // the current body
  size_t members = 0;
  size_t body_bytes = 0;
};

Fixture MakeFixture() {
  SnapshotGenerator gen(100, 1000, kSeed);
  Fixture f;
  BatchPresenceResult previous = ParseOrDie(gen.BatchBody(), gen.channels().size());
  for (ChannelPresence& ch : previous.channels) {
    f.before.push_back(Diff(ch.channel, nullptr, std::move(ch.members), DiffOptions{}, 0).next);
  }
  gen.Churn(0.05);
  f.body = gen.BatchBody();
  f.members = gen.MemberCount();
  return f;
}

void BM_ParseAndDiff(benchmark::State& state) {
  const Fixture f = MakeFixture();
  size_t events = 0;
  for (auto _ : state) {
    BatchPresenceResult parsed = ParseBatchPresence(200, f.body);
    for (size_t c = 0; c < parsed.channels.size(); ++c) {
      ChannelPresence& ch = parsed.channels[c];
      DiffResult r =
          Diff(ch.channel, &f.before[c], std::move(ch.members), DiffOptions{}, kObservedAt);
      events += r.events.size();
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.members));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
  state.counters["events_per_cycle"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ParseAndDiff)->Unit(benchmark::kMillisecond);

// The batch path of a cycle: members as views of the body, diffed while it is alive.
void BM_ParseAndDiffViews(benchmark::State& state) {
  const Fixture f = MakeFixture();
  size_t events = 0;
  for (auto _ : state) {
    ParseBatchPresenceViews(200, f.body, {}, {}, 0, [&](const BatchPresenceViews& parsed) {
      for (size_t c = 0; c < parsed.channels.size(); ++c) {
        const ChannelPresenceView& ch = parsed.channels[c];
        DiffResult r = DiffView(ch.channel, &f.before[c], ch.members, DiffOptions{}, kObservedAt);
        events += r.events.size();
        benchmark::DoNotOptimize(r);
      }
    });
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.members));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
  state.counters["events_per_cycle"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ParseAndDiffViews)->Unit(benchmark::kMillisecond);

void BM_ParseOnly(benchmark::State& state) {
  const Fixture f = MakeFixture();
  for (auto _ : state) {
    BatchPresenceResult parsed = ParseBatchPresence(200, f.body);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * f.members));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
}
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace presenced::bench
