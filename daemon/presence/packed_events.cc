#include "presence/packed_events.h"

#include <cstring>

namespace presenced {

namespace {

// An event: its action (1 byte), its id, its channel, the other string fields, the two
// integers. Each string field: its length as a LEB128 varint, then its bytes. The id: a byte 1
// and 16 bytes when it is 32 lowercase hex digits (EventId's form), else a byte 0 and the
// string. The channel: its length + 1 and its bytes, or 0 for the previous event's channel (a
// chunk is usually one channel's). The integers: 8 bytes each, native order (the buffer never
// leaves the process).
void PutLength(std::string& out, size_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

// The bytes a field takes: its varint length and its bytes.
size_t FieldSize(const std::string& s) {
  size_t n = 1;
  for (size_t v = s.size(); v >= 0x80; v >>= 7) ++n;
  return n + s.size();
}

void PutString(std::string& out, const std::string& s) {
  PutLength(out, s.size());
  out.append(s);
}

void PutInt(std::string& out, int64_t v) {
  char raw[sizeof v];
  std::memcpy(raw, &v, sizeof v);
  out.append(raw, sizeof v);
}

size_t GetLength(const std::string& in, size_t& offset) {
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(in[offset++]);
    n |= static_cast<size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return n;
  }
}

void GetString(const std::string& in, size_t& offset, std::string& out) {
  const size_t n = GetLength(in, offset);
  out.assign(in, offset, n);
  offset += n;
}

int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsHexId(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (Nibble(c) < 0) return false;
  }
  return true;
}

void PutId(std::string& out, const std::string& id) {
  if (!IsHexId(id)) {
    out.push_back(0);
    PutString(out, id);
    return;
  }
  out.push_back(1);
  for (size_t i = 0; i < id.size(); i += 2) {
    out.push_back(static_cast<char>(Nibble(id[i]) << 4 | Nibble(id[i + 1])));
  }
}

void GetId(const std::string& in, size_t& offset, std::string& id) {
  if (in[offset++] == 0) {
    GetString(in, offset, id);
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  id.resize(32);
  for (size_t i = 0; i < 16; ++i) {
    const auto byte = static_cast<unsigned char>(in[offset++]);
    id[2 * i] = kHex[byte >> 4];
    id[2 * i + 1] = kHex[byte & 0xf];
  }
}

size_t IdSize(const std::string& id) { return IsHexId(id) ? 17 : 1 + FieldSize(id); }

int64_t GetInt(const std::string& in, size_t& offset) {
  int64_t v = 0;
  std::memcpy(&v, in.data() + offset, sizeof v);
  offset += sizeof v;
  return v;
}

}  // namespace

PackedEvents::PackedEvents(const std::vector<Event>& events) {
  size_t total = 0;
  for (const Event& e : events) {
    total += 1 + IdSize(e.id) + FieldSize(e.channel) + FieldSize(e.client_id) +
             FieldSize(e.connection_id) + FieldSize(e.member_id) + FieldSize(e.data) +
             FieldSize(e.encoding) + FieldSize(e.members) + 2 * sizeof(int64_t);
  }
  bytes_.reserve(total);  // at most this (a repeated channel takes 1 byte): one allocation
  for (const Event& e : events) Append(e);
}

void PackedEvents::Append(const Event& e) {
  bytes_.push_back(static_cast<char>(e.action));
  PutId(bytes_, e.id);
  if (count_ > 0 && e.channel == last_channel_) {
    bytes_.push_back(0);
  } else {
    PutLength(bytes_, e.channel.size() + 1);
    bytes_.append(e.channel);
    last_channel_ = e.channel;
  }
  PutString(bytes_, e.client_id);
  PutString(bytes_, e.connection_id);
  PutString(bytes_, e.member_id);
  PutString(bytes_, e.data);
  PutString(bytes_, e.encoding);
  PutString(bytes_, e.members);
  PutInt(bytes_, e.timestamp);
  PutInt(bytes_, e.observed_at);
  ++count_;
}

size_t PackedEvents::DecodeAt(size_t offset, Event& e) const {
  e.action = static_cast<Action>(bytes_[offset++]);
  GetId(bytes_, offset, e.id);
  // 0: the previous event's channel, which `e` still holds (events are decoded in order).
  if (const size_t n = GetLength(bytes_, offset); n > 0) {
    e.channel.assign(bytes_, offset, n - 1);
    offset += n - 1;
  }
  GetString(bytes_, offset, e.client_id);
  GetString(bytes_, offset, e.connection_id);
  GetString(bytes_, offset, e.member_id);
  GetString(bytes_, offset, e.data);
  GetString(bytes_, offset, e.encoding);
  GetString(bytes_, offset, e.members);
  e.timestamp = GetInt(bytes_, offset);
  e.observed_at = GetInt(bytes_, offset);
  return offset;
}

std::vector<Event> PackedEvents::Unpack() const {
  std::vector<Event> events;
  events.reserve(count_);
  ForEach([&](const Event& e) { events.push_back(e); });
  return events;
}

}  // namespace presenced
