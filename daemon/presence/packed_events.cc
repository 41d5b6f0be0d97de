#include "presence/packed_events.h"

#include <cstring>

namespace presenced {

namespace {

// Each string field: its length as a LEB128 varint, then its bytes. The integers: 8 bytes each,
// native order (the buffer never leaves the process).
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
    total += 1 + FieldSize(e.id) + FieldSize(e.channel) + FieldSize(e.client_id) +
             FieldSize(e.connection_id) + FieldSize(e.member_id) + FieldSize(e.data) +
             FieldSize(e.encoding) + FieldSize(e.members) + 2 * sizeof(int64_t);
  }
  bytes_.reserve(total);  // exactly: one allocation, no slack
  for (const Event& e : events) Append(e);
}

void PackedEvents::Append(const Event& e) {
  bytes_.push_back(static_cast<char>(e.action));
  PutString(bytes_, e.id);
  PutString(bytes_, e.channel);
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
  GetString(bytes_, offset, e.id);
  GetString(bytes_, offset, e.channel);
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
