#pragma once

// ChannelState: what presenced remembers about one channel between poll cycles — every tracked
// member (as last seen) and, per member, how many successive successful snapshots it has been
// missing from (the leave debounce of `presence.leave_after_misses`).
//
// Layout is compact on purpose (presenced may track millions of members): all strings of the
// channel live in one arena string, and each member is a 40-byte record of offsets and lengths,
// kept sorted by key (client_id, connection_id) compared bytewise. Members still missing but not
// yet left count as tracked: member_count() and client_count() include them, matching the event
// stream (no `leave` has been emitted for them).
//
// Thread-safety: a value type; const methods may be called concurrently, mutation needs exclusive
// access. Errors: Decode returns an Error for any malformed input, never crashes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "presence/member.h"

namespace presenced {

class ChannelState {
 public:
  ChannelState() = default;

  size_t member_count() const { return records_.size(); }
  // Returns the number of distinct clientIds among the tracked members.
  size_t client_count() const { return client_count_; }
  bool empty() const { return records_.empty(); }
  // Returns the bytes of member strings held (the arena's size).
  size_t string_bytes() const { return arena_.size(); }

  // Returns how many tracked members (connections) have `client_id`: a binary search, since
  // members are sorted by client_id first.
  size_t CountClient(std::string_view client_id) const;

  // Returns member `i` (0 ≤ i < member_count()), in ascending key order.
  MemberView member(size_t i) const;

  // Calls `fn(const MemberView&)` for every member in ascending key order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < records_.size(); ++i) fn(member(i));
  }

  // Reserves room for `members` members holding `bytes` string bytes in total.
  void Reserve(size_t members, size_t bytes);
  // Appends a member. Precondition: its key is strictly greater than the last member's key
  // (Diff and Decode guarantee this; the order is what makes lookups and merges linear).
  void Append(const MemberView& member);
  // Appends members [from, to) of `other` as one block (one copy of their strings). Precondition:
  // the first one's key is strictly greater than the last member's key here.
  void AppendRange(const ChannelState& other, size_t from, size_t to);
  // Returns the index of the first member at or after `from` whose key is not less than the
  // given key (member_count() when there is none): a binary search.
  size_t LowerBound(std::string_view client_id, std::string_view connection_id,
                    size_t from = 0) const;

  // Returns a compact, versioned binary encoding (stable across builds and hosts).
  std::string Encode() const;
  // Parses the output of Encode; any malformed or out-of-order input yields an Error.
  static Result<ChannelState> Decode(std::string_view bytes);

  // Returns the approximate heap footprint in bytes (arena and record capacity plus the object).
  size_t MemoryBytes() const;

  bool operator==(const ChannelState& other) const;

  // Compares the keys (client_id, connection_id) bytewise: <0, 0 or >0.
  static int CompareKeys(std::string_view client_a, std::string_view connection_a,
                         std::string_view client_b, std::string_view connection_b);

 private:
  // One member: its strings are arena_[offset, …) in the order client_id, connection_id, id,
  // data, encoding.
  struct Record {
    int64_t timestamp;
    uint64_t offset;
    uint32_t client_len;
    uint32_t connection_len;
    uint32_t id_len;
    uint32_t data_len;
    uint32_t encoding_len;
    uint32_t misses;
  };
  static_assert(sizeof(Record) == 40);

  std::string arena_;
  std::vector<Record> records_;
  size_t client_count_ = 0;
};

}  // namespace presenced
