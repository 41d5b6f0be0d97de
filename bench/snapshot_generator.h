#pragma once

// SnapshotGenerator: synthetic but realistic presence snapshots for the benchmarks — Ably-like
// connection ids, clientIds, message ids and 20–40 byte data — with controlled churn between
// snapshots, and the matching v3 batch presence response body.
//
// Deterministic for a given seed. Not thread-safe.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "presence/member.h"

namespace presenced::bench {

class SnapshotGenerator {
 public:
  // Channels are named room:NNNNN, numbered from `first_channel`.
  SnapshotGenerator(int channels, int members_per_channel, uint64_t seed, int first_channel = 0);

  const std::vector<std::string>& channels() const { return channels_; }
  // Current members per channel, in the order Ably would list them.
  const std::vector<std::vector<Member>>& members() const { return members_; }
  // Total bytes of member strings (clientId, connectionId, id, data, encoding).
  size_t DataBytes() const;
  size_t MemberCount() const;

  // Changes `fraction` of each channel's members: a third leave, a third are replaced by new
  // members (enter), a third change their data (update). Survivors keep their order; new members
  // are appended, as a poll of a real channel would show them. Small channels, where
  // members * fraction < 1 (e.g. 3 members at 5 %), would never change: there `fraction` of the
  // channels (spread evenly) change one member each instead, the kind rotating leave, enter,
  // update, so the events per cycle stay about members * channels * fraction.
  void Churn(double fraction);
  // Every member reconnects (a region reconnect): same clientId and data, a new connectionId and
  // message id, so a poll sees all of them leave and enter again.
  void Reconnect();

  // Returns the v3 batch presence body: {"successCount":N,"failureCount":0,"results":[…]}.
  std::string BatchBody() const;
  // Returns one element of the body's `results`: {"channel":…,"presence":[…]} for channel `c`.
  std::string ResultEntry(size_t c) const;

 private:
  static bool ChannelTurn(size_t c, double fraction);
  Member NewMember();
  std::string RandomToken(size_t length);
  std::string RandomData();

  std::mt19937_64 rng_;
  int64_t clock_ms_ = 1'700'000'000'000;
  uint64_t serial_ = 0;
  size_t small_changes_ = 0;
  std::vector<std::string> channels_;
  std::vector<std::vector<Member>> members_;
};

}  // namespace presenced::bench
