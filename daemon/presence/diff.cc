#include "presence/diff.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <span>
#include <string_view>
#include <utility>

namespace presenced {
namespace {

int CompareMemberKeys(const MemberView& a, const MemberView& b) {
  return ChannelState::CompareKeys(a.client_id, a.connection_id, b.client_id, b.connection_id);
}

// A sort key: 8 bytes of the client_id, big-endian so integer order is bytewise order, taken
// after the prefix every client_id of the snapshot shares (apps often use "user-…" ids).
// Distinct prefixes order members exactly as the full key would; equal ones fall back to it.
struct SortKey {
  uint64_t prefix;
  uint32_t index;
};

size_t CommonPrefixLength(std::span<const MemberView> after) {
  if (after.empty()) return 0;
  std::string_view first = after[0].client_id;
  size_t n = first.size();
  for (const MemberView& m : after) {
    const std::string_view s = m.client_id;
    size_t i = 0;
    const size_t limit = std::min(n, s.size());
    while (i < limit && s[i] == first[i]) ++i;
    n = i;
    if (n == 0) break;
  }
  return n;
}

uint64_t PrefixAt(std::string_view s, size_t skip) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    const size_t at = skip + i;
    const auto byte = at < s.size() ? static_cast<unsigned char>(s[at]) : 0u;
    v = (v << 8) | byte;
  }
  return v;
}

// Sorts by prefix with an LSD radix sort (8-bit digits, passes where every key has the same
// digit skipped): no data-dependent branches, which is what makes a comparison sort of random
// keys slow. Stable, so equal prefixes keep their input order.
// Below kRadixMinKeys a (stable) insertion sort is cheaper: a radix pass costs a 256-entry count
// table whatever the number of keys, which dominated the sort of small channels (3 members).
constexpr size_t kRadixMinKeys = 32;

void RadixSortByPrefix(std::vector<SortKey>& keys) {
  if (keys.size() < 2) return;
  if (keys.size() < kRadixMinKeys) {
    for (size_t i = 1; i < keys.size(); ++i) {
      const SortKey k = keys[i];
      size_t j = i;
      for (; j > 0 && keys[j - 1].prefix > k.prefix; --j) keys[j] = keys[j - 1];
      keys[j] = k;
    }
    return;
  }
  std::vector<SortKey> scratch(keys.size());
  for (int shift = 0; shift < 64; shift += 8) {
    size_t count[256] = {};
    for (const SortKey& k : keys) ++count[(k.prefix >> shift) & 0xff];
    if (count[(keys[0].prefix >> shift) & 0xff] == keys.size()) continue;
    size_t offset = 0;
    for (size_t& c : count) {
      const size_t n = c;
      c = offset;
      offset += n;
    }
    for (const SortKey& k : keys) scratch[count[(k.prefix >> shift) & 0xff]++] = k;
    keys.swap(scratch);
  }
}

// Returns the indices of `after` in ascending key order, one per key: of duplicates, the latest
// timestamp wins, then the larger id.
std::vector<uint32_t> SortedUniqueIndices(std::span<const MemberView> after) {
  const size_t skip = CommonPrefixLength(after);
  std::vector<SortKey> keys(after.size());
  for (size_t i = 0; i < after.size(); ++i) {
    const MemberView& m = after[i];
    keys[i] = {PrefixAt(m.client_id, skip), static_cast<uint32_t>(i)};
    // This pass walks `after` in order, which the hardware prefetcher follows; warming the rest
    // of each member here makes the merge below, which visits members in key order, hit cache.
    __builtin_prefetch(m.id.data());
    __builtin_prefetch(m.data.data());
    __builtin_prefetch(&m.timestamp);
  }
  RadixSortByPrefix(keys);
  // Members sharing a prefix (rare) are ordered by the full key, then newest first.
  auto less = [&after](const SortKey& x, const SortKey& y) {
    const MemberView& a = after[x.index];
    const MemberView& b = after[y.index];
    if (const int c = CompareMemberKeys(a, b); c != 0) return c < 0;
    if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
    return a.id > b.id;
  };
  for (size_t i = 0; i < keys.size();) {
    size_t j = i + 1;
    while (j < keys.size() && keys[j].prefix == keys[i].prefix) ++j;
    if (j - i > 1)
      std::sort(keys.begin() + static_cast<ptrdiff_t>(i), keys.begin() + static_cast<ptrdiff_t>(j),
                less);
    i = j;
  }
  std::vector<uint32_t> order;
  order.reserve(keys.size());
  for (const SortKey& k : keys) {
    if (!order.empty() && CompareMemberKeys(after[order.back()], after[k.index]) == 0) continue;
    order.push_back(k.index);
  }
  return order;
}

// One step of the merge of `before` (sorted) with the sorted snapshot, in key order.
struct Step {
  enum Kind : uint8_t { kBoth, kNew, kMissing } kind;
  uint32_t after_index;
  uint32_t before_index;
};

Event EventFromMember(std::string_view channel, Action action, const MemberView& m,
                      int64_t observed_at_ms) {
  return MakeEvent(channel, action, m.client_id, m.connection_id, m.id, m.data, m.encoding,
                   m.timestamp, observed_at_ms);
}

size_t ViewBytes(const MemberView& m) {
  return m.client_id.size() + m.connection_id.size() + m.id.size() + m.data.size() +
         m.encoding.size();
}

}  // namespace

DiffResult Diff(std::string_view channel, const ChannelState* before,
                const std::vector<Member>& after, const DiffOptions& options,
                int64_t observed_at_ms) {
  std::vector<MemberView> views;
  views.reserve(after.size());
  for (const Member& m : after) views.push_back(ViewOf(m));
  return DiffView(channel, before, views, options, observed_at_ms);
}

DiffResult DiffView(std::string_view channel, const ChannelState* before,
                    std::span<const MemberView> after, const DiffOptions& options,
                    int64_t observed_at_ms) {
  const std::vector<uint32_t> order = SortedUniqueIndices(after);
  const uint32_t leave_after = static_cast<uint32_t>(std::max(options.leave_after_misses, 1));
  const size_t before_count = before ? before->member_count() : 0;

  // Pass 1: merge, and size the next state exactly so its arena never over-allocates.
  std::vector<Step> steps;
  steps.reserve(order.size() + before_count);
  size_t next_members = 0;
  size_t next_bytes = 0;
  size_t a = 0;
  size_t b = 0;
  while (a < order.size() || b < before_count) {
    int c;
    if (a == order.size()) {
      c = 1;
    } else if (b == before_count) {
      c = -1;
    } else {
      const MemberView& m = after[order[a]];
      const MemberView v = before->member(b);
      c = ChannelState::CompareKeys(m.client_id, m.connection_id, v.client_id, v.connection_id);
    }
    if (c > 0) {
      const MemberView v = before->member(b);
      steps.push_back({Step::kMissing, 0, static_cast<uint32_t>(b)});
      if (v.misses + 1 < leave_after) {
        ++next_members;
        next_bytes += ViewBytes(v);
      }
      ++b;
      continue;
    }
    const uint32_t ai = order[a++];
    steps.push_back({c < 0 ? Step::kNew : Step::kBoth, ai, static_cast<uint32_t>(b)});
    if (c == 0) ++b;
    ++next_members;
    next_bytes += ViewBytes(after[ai]);
  }

  // Pass 2: build the next state and the three event groups in key order.
  DiffResult result;
  if (options.build_next) result.next.Reserve(next_members, next_bytes);
  result.changed = before == nullptr;
  auto keep = [&](const MemberView& v) {
    if (options.build_next) result.next.Append(v);
  };
  std::vector<Event> enters;
  std::vector<Event> updates;
  std::vector<Event>& leaves = result.events;
  const bool update_on_id = options.update_on == UpdateOn::kAny;
  for (const Step& step : steps) {
    if (step.kind == Step::kMissing) {
      MemberView v = before->member(step.before_index);
      result.changed = true;
      if (v.misses + 1 >= leave_after) {
        leaves.push_back(MakeEvent(channel, Action::kLeave, v.client_id, v.connection_id, v.id,
                                   v.data, v.encoding, observed_at_ms, observed_at_ms));
        result.delta.removals.Append(MemberView{v.client_id, v.connection_id, {}, {}, {}, 0, 0});
      } else {
        ++v.misses;
        keep(v);
        result.delta.upserts.Append(v);
      }
      continue;
    }
    const MemberView& m = after[step.after_index];
    MemberView kept = m;
    kept.misses = 0;
    keep(kept);
    if (step.kind == Step::kNew) {
      result.changed = true;
      result.delta.upserts.Append(kept);
      if (before != nullptr) {
        enters.push_back(EventFromMember(channel, Action::kEnter, m, observed_at_ms));
      } else if (options.first_snapshot_present) {
        enters.push_back(EventFromMember(channel, Action::kPresent, m, observed_at_ms));
      }
      continue;
    }
    const MemberView v = before->member(step.before_index);
    const bool data_changed = v.data != m.data || v.encoding != m.encoding;
    const bool id_changed = v.id != m.id;
    if (data_changed || id_changed || v.timestamp != m.timestamp || v.misses != 0) {
      result.changed = true;
      result.delta.upserts.Append(kept);
    }
    if (data_changed || (update_on_id && id_changed)) {
      updates.push_back(EventFromMember(channel, Action::kUpdate, m, observed_at_ms));
    }
  }
  leaves.reserve(leaves.size() + enters.size() + updates.size());
  std::move(enters.begin(), enters.end(), std::back_inserter(leaves));
  std::move(updates.begin(), updates.end(), std::back_inserter(leaves));
  return result;
}

}  // namespace presenced
