// Core benchmarks of presenced's steady state: diffing 100 channels × 1,000 members with 5% churn,
// and the memory ChannelState needs per tracked member at 1M members.
//
// Run: build/bench/presence_bench (see bench/README section in the report for figures).

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "presence/channel_state.h"
#include "presence/diff.h"
#include "snapshot_generator.h"

namespace presenced::bench {
namespace {

constexpr int64_t kObservedAt = 1'700'000'015'000;
constexpr uint64_t kSeed = 20240601;

std::vector<ChannelState> BuildStates(const SnapshotGenerator& gen) {
  std::vector<ChannelState> states;
  states.reserve(gen.channels().size());
  for (size_t c = 0; c < gen.channels().size(); ++c) {
    states.push_back(Diff(gen.channels()[c], nullptr, gen.members()[c], DiffOptions{}, 0).next);
  }
  return states;
}

void BM_DiffOnly(benchmark::State& state) {
  SnapshotGenerator gen(100, 1000, kSeed);
  const std::vector<ChannelState> before = BuildStates(gen);
  gen.Churn(0.05);
  const size_t members = gen.MemberCount();
  size_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::vector<Member>> after = gen.members();  // Diff consumes its input
    state.ResumeTiming();
    for (size_t c = 0; c < after.size(); ++c) {
      DiffResult r =
          Diff(gen.channels()[c], &before[c], std::move(after[c]), DiffOptions{}, kObservedAt);
      events += r.events.size();
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * members));
  state.counters["events_per_cycle"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_DiffOnly)->Unit(benchmark::kMillisecond);

size_t HeapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

size_t ResidentBytes() {
  long size = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Builds ChannelStates for 1,000 channels × 1,000 members and reports what they cost per member
// beyond the member strings themselves (heap in use; resident set as a cross-check).
void BM_StateMemory(benchmark::State& state) {
  for (auto _ : state) {
    SnapshotGenerator gen(1000, 1000, kSeed);
    const double members = static_cast<double>(gen.MemberCount());
    const double data = static_cast<double>(gen.DataBytes());
    malloc_trim(0);
    const size_t heap_before = HeapInUse();
    const size_t rss_before = ResidentBytes();
    std::vector<ChannelState> states = BuildStates(gen);
    malloc_trim(0);
    const auto heap = static_cast<double>(HeapInUse() - heap_before);
    const auto rss = static_cast<double>(ResidentBytes() - rss_before);
    size_t reported = 0;
    for (const ChannelState& s : states) reported += s.MemoryBytes();
    state.counters["data_B_per_member"] = data / members;
    state.counters["heap_B_per_member"] = heap / members;
    state.counters["overhead_B_per_member"] = (heap - data) / members;
    state.counters["rss_overhead_B_per_member"] = (rss - data) / members;
    state.counters["MemoryBytes_overhead_B_per_member"] =
        (static_cast<double>(reported) - data) / members;
    benchmark::DoNotOptimize(states);
  }
}
BENCHMARK(BM_StateMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace presenced::bench
