#pragma once

// PresenceSimulator: fills a FakeAblyServer with N channels of M members each and keeps changing
// them (enter / leave / update) at a fixed rate, for the demo and the benchmarks. Channel names are
// `<prefix><index>` with at least four digits (`sim:0000`). All randomness comes from a
// SplitMix64 generator seeded with `seed`, so a run is reproducible given the same sequence of
// Step() calls; the timer thread of Start() makes the *rate* wall-clock driven.
//
// Thread-safety: all methods may be called from any thread; `mu_` guards the simulation state.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/result.h"
#include "fake_ably/fake_ably_server.h"

namespace presenced::testing {

struct SimulationOptions {
  size_t channels = 0;
  size_t members = 0;           // initial members per channel
  double churn_per_second = 0;  // member changes per second over all channels
  uint64_t seed = 1;
  std::string prefix = "sim:";
};

// Parses "channels=N,members=M,churn=C,seed=S[,prefix=P]" (any order; unknown keys are errors).
Result<SimulationOptions> ParseSimulationSpec(const std::string& spec);

class PresenceSimulator {
 public:
  PresenceSimulator(FakeAblyServer& server, SimulationOptions options);
  ~PresenceSimulator();
  PresenceSimulator(const PresenceSimulator&) = delete;
  PresenceSimulator& operator=(const PresenceSimulator&) = delete;

  // Returns the name of channel `index`, e.g. ChannelName("sim:", 7) == "sim:0007".
  static std::string ChannelName(const std::string& prefix, size_t index);

  // Enters the initial members of every channel.
  void Populate();
  // Performs `changes` member changes (each an enter, leave or update of a random member).
  void Step(size_t changes);
  // Starts a thread that calls Step() every ~100 ms to reach churn_per_second; Stop() ends it.
  void Start();
  void Stop();
  // Member changes made so far.
  uint64_t changes() const;

 private:
  using MemberKey = std::pair<std::string, std::string>;  // (clientId, connectionId)

  uint64_t NextLocked();
  void EnterNewLocked(size_t channel);
  void Run();

  FakeAblyServer& server_;
  const SimulationOptions options_;
  mutable std::mutex mu_;  // guards every field below
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t rng_state_;
  uint64_t next_member_ = 0;
  uint64_t changes_ = 0;
  std::vector<std::vector<MemberKey>> members_;  // per channel, in the simulator's own order
  std::thread thread_;
};

}  // namespace presenced::testing
