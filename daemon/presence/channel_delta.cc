#include "presence/channel_delta.h"

#include <cstdint>

namespace presenced {
namespace {

// Encoding: byte 'D', byte version(1), 8-byte little-endian length of the upserts' encoding,
// the upserts' ChannelState encoding, then the removals' ChannelState encoding.
constexpr char kMagic = 'D';
constexpr uint8_t kVersion = 1;

int Compare(const MemberView& a, const MemberView& b) {
  return ChannelState::CompareKeys(a.client_id, a.connection_id, b.client_id, b.connection_id);
}

// Merges two key-sorted lists, calling `emit(const MemberView&)` in key order; where both hold
// a key, `newer` wins. `skip(key)` drops keys (the removals of the newer side).
template <typename Skip, typename Emit>
void Merge(const ChannelState& older, const ChannelState& newer, Skip&& skip, Emit&& emit) {
  size_t o = 0, n = 0;
  while (o < older.member_count() || n < newer.member_count()) {
    int c;
    if (o == older.member_count()) {
      c = 1;
    } else if (n == newer.member_count()) {
      c = -1;
    } else {
      c = Compare(older.member(o), newer.member(n));
    }
    if (c < 0) {
      const MemberView v = older.member(o++);
      if (!skip(v)) emit(v);
    } else {
      if (c == 0) ++o;
      emit(newer.member(n++));
    }
  }
}

// A cursor over sorted removal keys: Contains must be asked in ascending key order.
class RemovalCursor {
 public:
  explicit RemovalCursor(const ChannelState& removals) : removals_(removals) {}
  bool Contains(const MemberView& v) {
    while (at_ < removals_.member_count()) {
      const int c = Compare(removals_.member(at_), v);
      if (c > 0) return false;
      ++at_;
      if (c == 0) return true;
    }
    return false;
  }

 private:
  const ChannelState& removals_;
  size_t at_ = 0;
};

}  // namespace

std::string ChannelDelta::Encode() const {
  const std::string up = upserts.Encode();
  const std::string down = removals.Encode();
  std::string out;
  out.reserve(10 + up.size() + down.size());
  out.push_back(kMagic);
  out.push_back(static_cast<char>(kVersion));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((up.size() >> (8 * i)) & 0xff));
  out.append(up);
  out.append(down);
  return out;
}

Result<ChannelDelta> ChannelDelta::Decode(std::string_view in) {
  if (in.size() < 10 || in[0] != kMagic) return Error{"channel delta: not an encoded delta"};
  if (static_cast<uint8_t>(in[1]) != kVersion) {
    return Error{"channel delta: unsupported version " +
                 std::to_string(static_cast<uint8_t>(in[1]))};
  }
  uint64_t up_size = 0;
  for (int i = 0; i < 8; ++i)
    up_size |= static_cast<uint64_t>(static_cast<uint8_t>(in[2 + i])) << (8 * i);
  if (up_size > in.size() - 10) return Error{"channel delta: truncated"};
  Result<ChannelState> up = ChannelState::Decode(in.substr(10, up_size));
  if (!up.ok()) return Error{"channel delta upserts: " + up.error().message};
  Result<ChannelState> down = ChannelState::Decode(in.substr(10 + up_size));
  if (!down.ok()) return Error{"channel delta removals: " + down.error().message};
  return ChannelDelta{std::move(*up), std::move(*down)};
}

ChannelState Apply(const ChannelState& state, const ChannelDelta& delta) {
  ChannelState next;
  next.Reserve(state.member_count() + delta.upserts.member_count(),
               state.string_bytes() + delta.upserts.string_bytes());
  // The delta is small next to the state: find each of its keys by binary search and copy the
  // untouched members between two of them as one block, instead of comparing every member.
  const ChannelState& up = delta.upserts;
  const ChannelState& down = delta.removals;
  size_t at = 0, u = 0, r = 0;
  while (u < up.member_count() || r < down.member_count()) {
    // The next key the delta touches (an upsert and a removal never share a key).
    bool upsert = r == down.member_count();
    if (!upsert && u < up.member_count()) upsert = Compare(up.member(u), down.member(r)) < 0;
    const MemberView key = upsert ? up.member(u++) : down.member(r++);
    const size_t found = state.LowerBound(key.client_id, key.connection_id, at);
    next.AppendRange(state, at, found);
    at = found;
    if (at < state.member_count() && Compare(state.member(at), key) == 0) ++at;  // replaced
    if (upsert) next.Append(key);
  }
  next.AppendRange(state, at, state.member_count());
  return next;
}

ChannelDelta Combine(const ChannelDelta& first, const ChannelDelta& second) {
  ChannelDelta out;
  // Upserts: the second's, plus the first's that the second neither replaced nor removed.
  RemovalCursor removed_later(second.removals);
  Merge(
      first.upserts, second.upserts, [&](const MemberView& v) { return removed_later.Contains(v); },
      [&](const MemberView& v) { out.upserts.Append(v); });
  // Removals: the second's, plus the first's that the second did not upsert again.
  RemovalCursor upserted_later(second.upserts);
  Merge(
      first.removals, second.removals,
      [&](const MemberView& v) { return upserted_later.Contains(v); },
      [&](const MemberView& v) { out.removals.Append(v); });
  return out;
}

Result<ChannelState> RestoreState(std::string_view snapshot,
                                  const std::vector<std::string>& deltas) {
  Result<ChannelState> base = ChannelState::Decode(snapshot);
  if (!base.ok() || deltas.empty()) return base;
  // Deltas are small next to the snapshot: fold them into one, then merge it in once.
  ChannelDelta combined;
  for (const std::string& encoded : deltas) {
    Result<ChannelDelta> delta = ChannelDelta::Decode(encoded);
    if (!delta.ok()) return delta.error();
    combined = Combine(combined, *delta);
  }
  return Apply(*base, combined);
}

}  // namespace presenced
