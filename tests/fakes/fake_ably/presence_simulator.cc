#include "fake_ably/presence_simulator.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "fake_ably/query.h"

namespace presenced::testing {
namespace {

constexpr auto kTick = std::chrono::milliseconds(100);

bool ParseNumber(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && out >= 0 && std::isfinite(out);
}

}  // namespace

Result<SimulationOptions> ParseSimulationSpec(const std::string& spec) {
  SimulationOptions options;
  for (const std::string& item : SplitNonEmpty(spec, ",")) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) return Error{"--simulate: expected key=value, got '" + item + "'"};
    const std::string key = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    if (key == "prefix") {
      options.prefix = value;
      continue;
    }
    double number = 0;
    if (!ParseNumber(value, number)) {
      return Error{"--simulate: " + key + " must be a non-negative number, got '" + value + "'"};
    }
    if (key == "channels") {
      options.channels = static_cast<size_t>(number);
    } else if (key == "members") {
      options.members = static_cast<size_t>(number);
    } else if (key == "churn") {
      options.churn_per_second = number;
    } else if (key == "seed") {
      options.seed = static_cast<uint64_t>(number);
    } else {
      return Error{"--simulate: unknown key '" + key + "'"};
    }
  }
  if (options.channels == 0) return Error{"--simulate: channels must be at least 1"};
  return options;
}

PresenceSimulator::PresenceSimulator(FakeAblyServer& server, SimulationOptions options)
    : server_(server),
      options_(std::move(options)),
      rng_state_(options_.seed),
      members_(options_.channels) {}

PresenceSimulator::~PresenceSimulator() { Stop(); }

std::string PresenceSimulator::ChannelName(const std::string& prefix, size_t index) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%04zu", index);
  return prefix + digits;
}

uint64_t PresenceSimulator::NextLocked() {
  // SplitMix64: tiny, fast and identical on every platform (std distributions are not).
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void PresenceSimulator::EnterNewLocked(size_t channel) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const uint64_t n = next_member_++;
  std::string connection_id;
  uint64_t bits = NextLocked();
  for (int i = 0; i < 10; ++i, bits /= 62) connection_id.push_back(kAlphabet[bits % 62]);
  const std::string client_id = "user-" + std::to_string(n);
  // Half the members carry JSON-encoded data, half an opaque string, as real apps mix both.
  if (n % 2 == 0) {
    server_.Enter(ChannelName(options_.prefix, channel), client_id, connection_id,
                  "\"{\\\"seq\\\":" + std::to_string(n) + "}\"", "json");
  } else {
    server_.Enter(ChannelName(options_.prefix, channel), client_id, connection_id,
                  "\"online-" + std::to_string(n) + "\"");
  }
  members_[channel].emplace_back(client_id, connection_id);
}

void PresenceSimulator::Populate() {
  std::lock_guard lock(mu_);
  for (size_t c = 0; c < options_.channels; ++c) {
    for (size_t m = 0; m < options_.members; ++m) EnterNewLocked(c);
  }
}

void PresenceSimulator::Step(size_t changes) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < changes; ++i, ++changes_) {
    const size_t channel = NextLocked() % options_.channels;
    auto& members = members_[channel];
    const uint64_t kind = NextLocked() % 3;
    if (kind == 0 || members.empty()) {
      EnterNewLocked(channel);
      continue;
    }
    const size_t index = NextLocked() % members.size();
    const std::string name = ChannelName(options_.prefix, channel);
    if (kind == 1) {
      server_.Leave(name, members[index].first, members[index].second);
      members[index] = std::move(members.back());
      members.pop_back();
    } else {
      server_.Update(name, members[index].first, members[index].second,
                     "\"away-" + std::to_string(NextLocked() % 1000) + "\"");
    }
  }
}

void PresenceSimulator::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || options_.churn_per_second <= 0) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void PresenceSimulator::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t PresenceSimulator::changes() const {
  std::lock_guard lock(mu_);
  return changes_;
}

void PresenceSimulator::Run() {
  double owed = 0;  // fractional changes carried between ticks
  auto last = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, kTick, [this] { return stop_; })) return;
    }
    const auto now = std::chrono::steady_clock::now();
    owed += options_.churn_per_second * std::chrono::duration<double>(now - last).count();
    last = now;
    const double whole = std::floor(owed);
    owed -= whole;
    Step(static_cast<size_t>(whole));
  }
}

}  // namespace presenced::testing
