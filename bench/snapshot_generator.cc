#include "snapshot_generator.h"

#include <algorithm>
#include <cstdio>

#include "presence/event.h"

namespace presenced::bench {
namespace {

constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr const char* kStatuses[] = {"online", "away", "busy", "typing", "in-call"};

}  // namespace

bool SnapshotGenerator::ChannelTurn(size_t c, double fraction) {
  // True for `fraction` of the channels, spread evenly: where floor(c * fraction) steps up.
  const auto before = static_cast<uint64_t>(static_cast<double>(c) * fraction);
  const auto after = static_cast<uint64_t>(static_cast<double>(c + 1) * fraction);
  return after > before;
}

SnapshotGenerator::SnapshotGenerator(int channels, int members_per_channel, uint64_t seed,
                                     int first_channel)
    : rng_(seed) {
  for (int c = 0; c < channels; ++c) {
    char name[32];
    std::snprintf(name, sizeof(name), "room:%05d", first_channel + c);
    channels_.emplace_back(name);
    std::vector<Member>& list = members_.emplace_back();
    list.reserve(members_per_channel);
    for (int m = 0; m < members_per_channel; ++m) list.push_back(NewMember());
  }
}

std::string SnapshotGenerator::RandomToken(size_t length) {
  std::string s(length, ' ');
  for (char& ch : s) ch = kAlphabet[rng_() % (sizeof(kAlphabet) - 1)];
  return s;
}

std::string SnapshotGenerator::RandomData() {
  // A JSON string literal of 20–40 bytes, e.g. "online|seat-0412|v3kPq9xZ".
  char buf[64];
  const int n = std::snprintf(
      buf, sizeof(buf), "\"%s|seat-%04u|%s\"", kStatuses[rng_() % std::size(kStatuses)],
      static_cast<unsigned>(rng_() % 10000), RandomToken(4 + rng_() % 14).c_str());
  return std::string(buf, static_cast<size_t>(n));
}

Member SnapshotGenerator::NewMember() {
  Member m;
  m.client_id = "user-" + RandomToken(8);
  m.connection_id = RandomToken(10);
  m.id = m.connection_id + ":" + std::to_string(serial_++ % 50) + ":0";
  m.data = RandomData();
  if (rng_() % 10 == 0) m.encoding = "json";
  m.timestamp = clock_ms_ - static_cast<int64_t>(rng_() % 3'600'000);
  return m;
}

size_t SnapshotGenerator::DataBytes() const {
  size_t bytes = 0;
  for (const auto& list : members_) {
    for (const Member& m : list) {
      bytes += m.client_id.size() + m.connection_id.size() + m.id.size() + m.data.size() +
               m.encoding.size();
    }
  }
  return bytes;
}

size_t SnapshotGenerator::MemberCount() const {
  size_t n = 0;
  for (const auto& list : members_) n += list.size();
  return n;
}

void SnapshotGenerator::Churn(double fraction) {
  clock_ms_ += 15'000;
  for (size_t c = 0; c < members_.size(); ++c) {
    std::vector<Member>& list = members_[c];
    auto changes = static_cast<size_t>(static_cast<double>(list.size()) * fraction);
    size_t leaves = changes / 3;
    size_t updates = changes / 3;
    size_t enters = changes - leaves - updates;
    if (changes == 0 && fraction > 0 && ChannelTurn(c, fraction)) {
      // Small channels: one change in this channel, its kind rotating leave, enter, update.
      const size_t kind = small_changes_++ % 3;
      leaves = kind == 0 && !list.empty() ? 1 : 0;
      enters = kind == 1 || (kind == 0 && list.empty()) ? 1 : 0;
      updates = kind == 2 ? 1 : 0;
    }
    for (size_t i = 0; i < updates && !list.empty(); ++i) {
      Member& m = list[rng_() % list.size()];
      m.id = m.connection_id + ":" + std::to_string(serial_++ % 50) + ":0";
      m.data = RandomData();
      m.timestamp = clock_ms_;
    }
    for (size_t i = 0; i < leaves && !list.empty(); ++i) {
      list.erase(list.begin() + static_cast<ptrdiff_t>(rng_() % list.size()));
    }
    for (size_t i = 0; i < enters; ++i) {
      list.push_back(NewMember());
      list.back().timestamp = clock_ms_;
    }
  }
}

void SnapshotGenerator::Reconnect() {
  clock_ms_ += 15'000;
  for (std::vector<Member>& list : members_) {
    for (Member& m : list) {
      m.connection_id = RandomToken(10);
      m.id = m.connection_id + ":" + std::to_string(serial_++ % 50) + ":0";
      m.timestamp = clock_ms_;
    }
  }
}

std::string SnapshotGenerator::BatchBody() const {
  std::string out;
  out.reserve(DataBytes() + MemberCount() * 110 + 64);
  out.append("{\"successCount\":" + std::to_string(channels_.size()) +
             ",\"failureCount\":0,\"results\":[");
  for (size_t c = 0; c < channels_.size(); ++c) {
    if (c > 0) out.push_back(',');
    out.append(ResultEntry(c));
  }
  out.append("]}");
  return out;
}

std::string SnapshotGenerator::ResultEntry(size_t c) const {
  std::string out;
  out.append("{\"channel\":");
  AppendJsonString(out, channels_[c]);
  out.append(",\"presence\":[");
  for (size_t i = 0; i < members_[c].size(); ++i) {
    const Member& m = members_[c][i];
    if (i > 0) out.push_back(',');
    out.append("{\"id\":");
    AppendJsonString(out, m.id);
    out.append(",\"action\":1,\"clientId\":");
    AppendJsonString(out, m.client_id);
    out.append(",\"connectionId\":");
    AppendJsonString(out, m.connection_id);
    out.append(",\"data\":");
    out.append(m.data);
    if (!m.encoding.empty()) {
      out.append(",\"encoding\":");
      AppendJsonString(out, m.encoding);
    }
    out.append(",\"timestamp\":" + std::to_string(m.timestamp) + "}");
  }
  out.append("]}");
  return out;
}

}  // namespace presenced::bench
