#include "presence/channel_state.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

namespace presenced {
namespace {

// Encoding, version 1:
//   byte 'P', byte 'S', byte version(1), varint member_count,
//   then per member: varint client_len, connection_len, id_len, data_len, encoding_len,
//   varint zigzag(timestamp), varint misses, then the five strings' bytes in that order.
// Members appear in ascending key order; Decode rejects anything else.
constexpr char kMagic0 = 'P';
constexpr char kMagic1 = 'S';
constexpr uint8_t kVersion = 1;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads a varint at `pos`, advancing it; false when truncated or longer than 10 bytes.
bool GetVarint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto byte = static_cast<uint8_t>(in[pos++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

int ChannelState::CompareKeys(std::string_view client_a, std::string_view connection_a,
                              std::string_view client_b, std::string_view connection_b) {
  if (int c = client_a.compare(client_b); c != 0) return c;
  return connection_a.compare(connection_b);
}

MemberView ChannelState::member(size_t i) const {
  const Record& r = records_[i];
  const char* p = arena_.data() + r.offset;
  MemberView m;
  m.client_id = {p, r.client_len};
  p += r.client_len;
  m.connection_id = {p, r.connection_len};
  p += r.connection_len;
  m.id = {p, r.id_len};
  p += r.id_len;
  m.data = {p, r.data_len};
  p += r.data_len;
  m.encoding = {p, r.encoding_len};
  m.timestamp = r.timestamp;
  m.misses = r.misses;
  return m;
}

size_t ChannelState::CountClient(std::string_view client_id) const {
  auto client_of = [this](const Record& r) {
    return std::string_view(arena_.data() + r.offset, r.client_len);
  };
  const auto first =
      std::lower_bound(records_.begin(), records_.end(), client_id,
                       [&](const Record& r, std::string_view id) { return client_of(r) < id; });
  const auto last =
      std::upper_bound(first, records_.end(), client_id,
                       [&](std::string_view id, const Record& r) { return id < client_of(r); });
  return static_cast<size_t>(last - first);
}

void ChannelState::Reserve(size_t members, size_t bytes) {
  records_.reserve(members);
  arena_.reserve(bytes);
}

void ChannelState::Append(const MemberView& m) {
  bool new_client = true;
  if (!records_.empty()) {
    const MemberView last = member(records_.size() - 1);
    assert(CompareKeys(last.client_id, last.connection_id, m.client_id, m.connection_id) < 0);
    new_client = last.client_id != m.client_id;
  }
  Record r;
  r.timestamp = m.timestamp;
  r.offset = arena_.size();
  r.client_len = static_cast<uint32_t>(m.client_id.size());
  r.connection_len = static_cast<uint32_t>(m.connection_id.size());
  r.id_len = static_cast<uint32_t>(m.id.size());
  r.data_len = static_cast<uint32_t>(m.data.size());
  r.encoding_len = static_cast<uint32_t>(m.encoding.size());
  r.misses = m.misses;
  arena_.append(m.client_id);
  arena_.append(m.connection_id);
  arena_.append(m.id);
  arena_.append(m.data);
  arena_.append(m.encoding);
  records_.push_back(r);
  if (new_client) ++client_count_;
}

void ChannelState::AppendRange(const ChannelState& other, size_t from, size_t to) {
  if (from >= to) return;
  const Record& first = other.records_[from];
  const Record& last = other.records_[to - 1];
  // Members are appended in key order with their strings, so theirs are one run of the arena.
  const uint64_t begin = first.offset;
  const uint64_t end = last.offset + last.client_len + last.connection_len + last.id_len +
                       last.data_len + last.encoding_len;
  // Distinct clientIds: the block's first member starts one unless it continues the last client
  // here; every later member starts one when its clientId differs from the one before it.
  const MemberView head = other.member(from);
  if (records_.empty()) {
    ++client_count_;
  } else {
    const MemberView tail = member(records_.size() - 1);
    assert(CompareKeys(tail.client_id, tail.connection_id, head.client_id, head.connection_id) < 0);
    if (tail.client_id != head.client_id) ++client_count_;
  }
  const uint64_t base = arena_.size();
  arena_.append(other.arena_, begin, end - begin);
  records_.reserve(records_.size() + (to - from));
  for (size_t i = from; i < to; ++i) {
    Record r = other.records_[i];
    if (i > from) {
      const Record& prev = other.records_[i - 1];
      if (r.client_len != prev.client_len ||
          std::memcmp(other.arena_.data() + r.offset, other.arena_.data() + prev.offset,
                      r.client_len) != 0) {
        ++client_count_;
      }
    }
    r.offset = r.offset - begin + base;
    records_.push_back(r);
  }
}

size_t ChannelState::LowerBound(std::string_view client_id, std::string_view connection_id,
                                size_t from) const {
  const auto it = std::partition_point(
      records_.begin() + static_cast<ptrdiff_t>(std::min(from, records_.size())), records_.end(),
      [&](const Record& r) {
        const char* p = arena_.data() + r.offset;
        return CompareKeys({p, r.client_len}, {p + r.client_len, r.connection_len}, client_id,
                           connection_id) < 0;
      });
  return static_cast<size_t>(it - records_.begin());
}

std::string ChannelState::Encode() const {
  std::string out;
  out.reserve(3 + 10 + arena_.size() + records_.size() * 12);
  out.push_back(kMagic0);
  out.push_back(kMagic1);
  out.push_back(static_cast<char>(kVersion));
  PutVarint(out, records_.size());
  for (const Record& r : records_) {
    PutVarint(out, r.client_len);
    PutVarint(out, r.connection_len);
    PutVarint(out, r.id_len);
    PutVarint(out, r.data_len);
    PutVarint(out, r.encoding_len);
    PutVarint(out, ZigZag(r.timestamp));
    PutVarint(out, r.misses);
    const size_t total = static_cast<size_t>(r.client_len) + r.connection_len + r.id_len +
                         r.data_len + r.encoding_len;
    out.append(arena_, r.offset, total);
  }
  return out;
}

Result<ChannelState> ChannelState::Decode(std::string_view in) {
  if (in.size() < 3 || in[0] != kMagic0 || in[1] != kMagic1) {
    return Error{"channel state: not an encoded channel state"};
  }
  if (static_cast<uint8_t>(in[2]) != kVersion) {
    return Error{"channel state: unsupported version " +
                 std::to_string(static_cast<uint8_t>(in[2]))};
  }
  size_t pos = 3;
  uint64_t count = 0;
  if (!GetVarint(in, pos, count)) return Error{"channel state: truncated header"};
  // Every member takes at least 7 bytes, which bounds `count` before anything is allocated.
  if (count > (in.size() - pos) / 7) return Error{"channel state: member count too large"};

  ChannelState state;
  state.Reserve(count, in.size() - pos);
  constexpr uint64_t kMaxLen = std::numeric_limits<uint32_t>::max();
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t lens[5];
    uint64_t timestamp = 0;
    uint64_t misses = 0;
    for (uint64_t& len : lens) {
      if (!GetVarint(in, pos, len) || len > kMaxLen) {
        return Error{"channel state: bad length in member " + std::to_string(i)};
      }
    }
    if (!GetVarint(in, pos, timestamp) || !GetVarint(in, pos, misses) || misses > kMaxLen) {
      return Error{"channel state: bad fields in member " + std::to_string(i)};
    }
    const uint64_t total = lens[0] + lens[1] + lens[2] + lens[3] + lens[4];
    if (total > in.size() - pos) {
      return Error{"channel state: truncated member " + std::to_string(i)};
    }
    MemberView m;
    const char* p = in.data() + pos;
    std::string_view* fields[5] = {&m.client_id, &m.connection_id, &m.id, &m.data, &m.encoding};
    for (int f = 0; f < 5; ++f) {
      *fields[f] = {p, static_cast<size_t>(lens[f])};
      p += lens[f];
    }
    pos += total;
    m.timestamp = UnZigZag(timestamp);
    m.misses = static_cast<uint32_t>(misses);
    if (!state.records_.empty()) {
      const MemberView last = state.member(state.records_.size() - 1);
      if (CompareKeys(last.client_id, last.connection_id, m.client_id, m.connection_id) >= 0) {
        return Error{"channel state: members out of order at " + std::to_string(i)};
      }
    }
    state.Append(m);
  }
  if (pos != in.size()) return Error{"channel state: trailing bytes"};
  return state;
}

size_t ChannelState::MemoryBytes() const {
  // A std::string keeps short contents inline; only a heap buffer counts beyond the object.
  const size_t arena_heap = arena_.capacity() > 15 ? arena_.capacity() + 1 : 0;
  return sizeof(ChannelState) + arena_heap + records_.capacity() * sizeof(Record);
}

bool ChannelState::operator==(const ChannelState& other) const {
  if (records_.size() != other.records_.size()) return false;
  for (size_t i = 0; i < records_.size(); ++i) {
    const MemberView a = member(i);
    const MemberView b = other.member(i);
    if (a.client_id != b.client_id || a.connection_id != b.connection_id || a.id != b.id ||
        a.data != b.data || a.encoding != b.encoding || a.timestamp != b.timestamp ||
        a.misses != b.misses) {
      return false;
    }
  }
  return true;
}

}  // namespace presenced
