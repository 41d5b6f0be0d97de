#include "presence/client_directory.h"

#include <functional>
#include <utility>

namespace presenced {

uint64_t ClientDirectory::Hash(std::string_view client_id) {
  const uint64_t h = std::hash<std::string_view>{}(client_id);
  return h == 0 ? 1 : h;
}

size_t ClientDirectory::SlotOf(uint64_t hash) const {
  const size_t mask = keys_.size() - 1;
  size_t slot = static_cast<size_t>(hash) & mask;
  while (keys_[slot] != 0 && keys_[slot] != hash) slot = (slot + 1) & mask;
  return slot;
}

void ClientDirectory::Reserve(size_t clients) {
  size_t slots = keys_.empty() ? 64 : keys_.size();
  while (clients * 10 > slots * 7) slots *= 2;
  if (slots != keys_.size()) Rehash(slots);
}

void ClientDirectory::Rehash(size_t slots) {
  std::vector<uint64_t> keys = std::move(keys_);
  std::vector<uint32_t> counts = std::move(counts_);
  keys_.assign(slots, 0);
  counts_.assign(keys_.size(), 0);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == 0) continue;
    const size_t slot = SlotOf(keys[i]);
    keys_[slot] = keys[i];
    counts_[slot] = counts[i];
  }
}

void ClientDirectory::Add(std::string_view client_id) {
  // At most 70 % full, so probes stay short.
  if ((size_ + 1) * 10 > keys_.size() * 7) Rehash(keys_.empty() ? 64 : keys_.size() * 2);
  const uint64_t hash = Hash(client_id);
  const size_t slot = SlotOf(hash);
  if (keys_[slot] == 0) {
    keys_[slot] = hash;
    ++size_;
  }
  ++counts_[slot];
}

void ClientDirectory::Remove(std::string_view client_id) {
  if (keys_.empty()) return;
  size_t slot = SlotOf(Hash(client_id));
  if (keys_[slot] == 0) return;
  if (--counts_[slot] > 0) return;
  // Backward-shift deletion: move later entries of the probe run into the hole, so lookups never
  // stop early at it and no tombstones accumulate.
  const size_t mask = keys_.size() - 1;
  keys_[slot] = 0;
  --size_;
  for (size_t next = (slot + 1) & mask; keys_[next] != 0; next = (next + 1) & mask) {
    const size_t home = static_cast<size_t>(keys_[next]) & mask;
    // Move the entry at `next` into the hole unless its home lies cyclically in (slot, next].
    const bool stays = slot <= next ? (slot < home && home <= next) : (slot < home || home <= next);
    if (stays) continue;
    keys_[slot] = keys_[next];
    counts_[slot] = counts_[next];
    keys_[next] = 0;
    counts_[next] = 0;
    slot = next;
  }
}

uint32_t ClientDirectory::ChannelsOf(std::string_view client_id) const {
  if (keys_.empty()) return 0;
  const size_t slot = SlotOf(Hash(client_id));
  return keys_[slot] == 0 ? 0 : counts_[slot];
}

}  // namespace presenced
