#pragma once

// Sharding (CONTRACT §3 `shard:`): `count` replicas split the channels among themselves, each
// polling only the channels it owns. Ownership is rendezvous (highest-random-weight) hashing of
// the channel name: every replica computes the same owner without talking to the others, and a
// change of `count` from N to N+1 moves only the channels the new shard wins (about 1/(N+1) of
// them); the rest stay where they were.
//
// Pure functions: no I/O, clock or state. The hash is fixed (FNV-1a 64 of the name, mixed with the
// shard number by SplitMix64's finaliser), so owners are stable across versions, builds and hosts.

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace presenced {

namespace shard_internal {

inline uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// SplitMix64's finaliser: spreads the bits so each shard's weights are independent.
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace shard_internal

// Returns the shard (0..count-1) that owns `channel`: the one with the highest weight
// Mix(hash(channel) ^ Mix(shard)). 0 when count <= 1.
inline int ShardOwner(std::string_view channel, int count) {
  if (count <= 1) return 0;
  const uint64_t name = shard_internal::Fnv1a64(channel);
  int owner = 0;
  uint64_t best = 0;
  for (int shard = 0; shard < count; ++shard) {
    const uint64_t weight =
        shard_internal::Mix(name ^ shard_internal::Mix(static_cast<uint64_t>(shard)));
    if (shard == 0 || weight > best) {
      best = weight;
      owner = shard;
    }
  }
  return owner;
}

// True when shard `index` of `count` owns `channel` (always true when count <= 1).
inline bool ShardOwns(std::string_view channel, int index, int count) {
  return ShardOwner(channel, count) == (count <= 1 ? 0 : index);
}

// Returns how long shard `index` of `count` waits before its first channel enumeration, so the
// replicas enumerate `interval / count` apart (Ably allows one enumeration per app at a time).
inline std::chrono::milliseconds StaggerOffset(std::chrono::milliseconds interval, int index,
                                               int count) {
  if (count <= 1) return std::chrono::milliseconds(0);
  return interval * index / count;
}

// Returns the trailing decimal number of a host name ("presenced-2" → 2, the StatefulSet pod
// ordinal), or nullopt when it does not end in a digit or the number does not fit an int.
inline std::optional<int> TrailingNumber(std::string_view hostname) {
  size_t start = hostname.size();
  while (start > 0 && hostname[start - 1] >= '0' && hostname[start - 1] <= '9') --start;
  if (start == hostname.size()) return std::nullopt;
  int64_t value = 0;
  for (size_t i = start; i < hostname.size(); ++i) {
    value = value * 10 + (hostname[i] - '0');
    if (value > std::numeric_limits<int>::max()) return std::nullopt;
  }
  return static_cast<int>(value);
}

}  // namespace presenced
