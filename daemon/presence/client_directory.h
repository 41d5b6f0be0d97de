#pragma once

// ClientDirectory: in how many channels each clientId is present, to count distinct clientIds
// across all channels (`presenced_clients_distinct`; the per-channel counts double-count a user
// in two rooms). Updated from the per-channel online/offline changes (client_events.h), so a
// cycle costs what changed, not what is tracked.
//
// Holds a 64-bit hash of each clientId, not the string: 12 bytes per slot in an open-addressing
// table (linear probing, backward-shift deletion). Two clientIds with the same 64-bit hash would
// count once (about one chance in 10^7 with 1 M distinct clientIds).
//
// Thread-compatible value type.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace presenced {

class ClientDirectory {
 public:
  // The clientId is now present in one more channel.
  void Add(std::string_view client_id);
  // The clientId is present in one channel fewer; ignored when it was not counted.
  void Remove(std::string_view client_id);
  // Makes room for `clients` distinct clientIds without growing (a restart knows its total).
  void Reserve(size_t clients);
  // Returns the number of distinct clientIds present in at least one channel.
  size_t size() const { return size_; }
  // Returns how many channels `client_id` is present in.
  uint32_t ChannelsOf(std::string_view client_id) const;

 private:
  static uint64_t Hash(std::string_view client_id);
  size_t SlotOf(uint64_t hash) const;  // the slot holding `hash`, or the empty one it would take
  void Rehash(size_t slots);           // `slots` a power of two, room for size_

  std::vector<uint64_t> keys_;  // 0 = empty slot (Hash never returns 0)
  std::vector<uint32_t> counts_;
  size_t size_ = 0;
};

}  // namespace presenced
