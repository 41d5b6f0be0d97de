#include "fake_ably/fake_ably_state.h"

#include <algorithm>

#include "fake_ably/json_writer.h"

namespace presenced::testing {
namespace {

// Connection serial counters are kept after a connection's last member leaves, so its ids keep
// growing if it re-enters; past this many counters, those of member-less connections are dropped
// so a long --simulate run does not grow without bound.
constexpr size_t kMaxIdleConnections = 100000;

}  // namespace

FakeAblyState::FakeAblyState(const FakeAblyOptions& options, const FakeAblyClock& clock)
    : options_(options), clock_(clock), max_channels_(options.max_channels) {}

std::string FakeAblyState::Enter(const std::string& channel, const std::string& client_id,
                                 const std::string& connection_id, const std::string& data_raw,
                                 const std::string& encoding) {
  std::lock_guard lock(mu_);
  return StoreLocked(channel, client_id, connection_id, data_raw, encoding);
}

std::string FakeAblyState::Update(const std::string& channel, const std::string& client_id,
                                  const std::string& connection_id, const std::string& data_raw,
                                  const std::string& encoding) {
  std::lock_guard lock(mu_);
  return StoreLocked(channel, client_id, connection_id, data_raw, encoding);
}

std::string FakeAblyState::StoreLocked(const std::string& channel, const std::string& client_id,
                                       const std::string& connection_id,
                                       const std::string& data_raw, const std::string& encoding) {
  auto& members = channels_[channel];
  auto [it, inserted] = members.try_emplace(MemberKey(client_id, connection_id));
  Member& m = it->second;
  m.client_id = client_id;
  m.connection_id = connection_id;
  m.data_raw = data_raw;
  m.encoding = encoding;
  m.id = NextIdLocked(connection_id, inserted);
  m.timestamp_ms = clock_.NowMs();
  RecordHistoryLocked(channel, inserted ? 2 : 4, m);
  return m.id;
}

void FakeAblyState::RecordHistoryLocked(const std::string& channel, int action, const Member& m) {
  HistoryMessage message;
  message.action = action;
  message.client_id = m.client_id;
  message.connection_id = m.connection_id;
  message.id = m.id;
  message.data_raw = m.data_raw;
  message.encoding = m.encoding;
  message.timestamp_ms = m.timestamp_ms;
  history_.Record(channel, std::move(message), m.timestamp_ms);
}

std::string FakeAblyState::NextIdLocked(const std::string& connection_id, bool new_member) {
  if (connections_.size() > kMaxIdleConnections) {
    std::erase_if(connections_, [](const auto& entry) { return entry.second.members == 0; });
  }
  ConnectionInfo& info = connections_[connection_id];
  if (new_member) ++info.members;
  return connection_id + ":" + std::to_string(info.next_serial++) + ":0";
}

bool FakeAblyState::Leave(const std::string& channel, const std::string& client_id,
                          const std::string& connection_id) {
  std::lock_guard lock(mu_);
  auto channel_it = channels_.find(channel);
  if (channel_it == channels_.end()) return false;
  auto member_it = channel_it->second.find(MemberKey(client_id, connection_id));
  if (member_it == channel_it->second.end()) return false;
  Member left = std::move(member_it->second);
  channel_it->second.erase(member_it);
  if (channel_it->second.empty()) channels_.erase(channel_it);
  auto conn_it = connections_.find(connection_id);
  if (conn_it != connections_.end()) {
    // The leave message consumes a serial too; it carries the member's last data.
    left.id = connection_id + ":" + std::to_string(conn_it->second.next_serial++) + ":0";
    if (conn_it->second.members > 0) --conn_it->second.members;
  }
  left.timestamp_ms = clock_.NowMs();
  RecordHistoryLocked(channel, 3, left);
  return true;
}

size_t FakeAblyState::MemberCount(const std::string& channel) const {
  std::lock_guard lock(mu_);
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.size();
}

std::vector<std::string> FakeAblyState::ActiveChannels() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  names.reserve(channels_.size());
  for (const auto& [name, members] : channels_) names.push_back(name);
  return names;
}

void FakeAblyState::SetChannelError(const std::string& channel, int code, int status_code,
                                    const std::string& message) {
  std::lock_guard lock(mu_);
  if (code == 0) {
    channel_errors_.erase(channel);
  } else {
    channel_errors_[channel] = ChannelError{code, status_code, message};
  }
}

void FakeAblyState::FailNextRequests(int count, InjectedFailure failure) {
  std::lock_guard lock(mu_);
  fail_count_ = count;
  failure_ = std::move(failure);
}

void FakeAblyState::SetDelay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  delay_ = delay;
}

void FakeAblyState::TruncateNextResponses(int count) {
  std::lock_guard lock(mu_);
  truncate_count_ = count;
}

void FakeAblyState::GarbageNextResponses(int count) {
  std::lock_guard lock(mu_);
  garbage_count_ = count;
}

void FakeAblyState::InsertEmptyPages(int count) {
  std::lock_guard lock(mu_);
  empty_pages_ = count;
}

void FakeAblyState::SetMaxChannels(size_t max_channels) {
  std::lock_guard lock(mu_);
  max_channels_ = max_channels;
}

size_t FakeAblyState::max_channels() const {
  std::lock_guard lock(mu_);
  return max_channels_;
}

bool FakeAblyState::WaitDelay() {
  std::unique_lock lock(mu_);
  if (delay_.count() > 0) {
    cv_.wait_for(lock, delay_, [this] { return shutting_down_; });
  }
  return !shutting_down_;
}

std::optional<InjectedFailure> FakeAblyState::TakeFailure() {
  std::lock_guard lock(mu_);
  if (fail_count_ <= 0) return std::nullopt;
  --fail_count_;
  return failure_;
}

bool FakeAblyState::TakeTruncate() {
  std::lock_guard lock(mu_);
  if (truncate_count_ <= 0) return false;
  --truncate_count_;
  return true;
}

bool FakeAblyState::TakeGarbage() {
  std::lock_guard lock(mu_);
  if (garbage_count_ <= 0) return false;
  --garbage_count_;
  return true;
}

bool FakeAblyState::TakeEmptyPage() {
  std::lock_guard lock(mu_);
  if (empty_pages_ <= 0) return false;
  --empty_pages_;
  return true;
}

namespace {

// Appends one PresenceMessage as Ably's REST API shows it.
void AppendMessage(std::string& out, int action, const std::string& id,
                   const std::string& client_id, const std::string& connection_id,
                   const std::string& data_raw, const std::string& encoding, int64_t timestamp_ms) {
  out.append("{\"id\":");
  AppendJsonString(out, id);
  out.append(",\"action\":").append(std::to_string(action)).append(",\"clientId\":");
  AppendJsonString(out, client_id);
  out.append(",\"connectionId\":");
  AppendJsonString(out, connection_id);
  if (!data_raw.empty()) out.append(",\"data\":").append(data_raw);
  if (!encoding.empty()) {
    out.append(",\"encoding\":");
    AppendJsonString(out, encoding);
  }
  out.append(",\"timestamp\":").append(std::to_string(timestamp_ms)).push_back('}');
}

}  // namespace

void FakeAblyState::AppendMemberLocked(const Member& m, std::string& out) const {
  AppendMessage(out, 1, m.id, m.client_id, m.connection_id, m.data_raw, m.encoding, m.timestamp_ms);
  ++bill_.snapshot;
}

HistoryPage FakeAblyState::RenderHistory(const std::string& channel, int64_t start_ms,
                                         int64_t end_ms, bool forwards, size_t limit,
                                         uint64_t cursor, std::string& out,
                                         std::optional<std::pair<int, int>>& error) {
  std::lock_guard lock(mu_);
  auto error_it = channel_errors_.find(channel);
  if (error_it != channel_errors_.end()) {
    error = std::make_pair(error_it->second.code, error_it->second.status_code);
    return {};
  }
  const int64_t now = clock_.NowMs();
  // Not yet readable: messages younger than the visibility delay.
  const int64_t readable_until = now - clock_.visibility_delay().count();
  HistoryPage page = history_.Query(channel, start_ms, std::min(end_ms, readable_until), forwards,
                                    limit, cursor, now);
  out.push_back('[');
  for (size_t i = 0; i < page.messages.size(); ++i) {
    const HistoryMessage& m = *page.messages[i];
    if (i > 0) out.push_back(',');
    AppendMessage(out, m.action, m.id, m.client_id, m.connection_id, m.data_raw, m.encoding,
                  m.timestamp_ms);
  }
  out.push_back(']');
  bill_.history += page.messages.size();
  page.messages.clear();
  return page;
}

void FakeAblyState::SetHistoryRetention(std::chrono::milliseconds retention) {
  std::lock_guard lock(mu_);
  history_.SetRetention(retention);
}

uint64_t FakeAblyState::HistoryRecorded(int action) const {
  std::lock_guard lock(mu_);
  return history_.recorded(action);
}

FakeBill FakeAblyState::Bill() const {
  std::lock_guard lock(mu_);
  return bill_;
}

size_t FakeAblyState::RenderBatchItems(
    const std::vector<std::string>& channels, std::string& out,
    const std::function<bool(const std::string&)>& denied) const {
  std::lock_guard lock(mu_);
  size_t failures = 0;
  for (size_t i = 0; i < channels.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append("{\"channel\":");
    AppendJsonString(out, channels[i]);
    if (denied && denied(channels[i])) {
      ++failures;
      out.append(",\"error\":");
      AppendAblyError(out, 40160, 401, "Given credentials do not have the required capability");
      out.push_back('}');
      continue;
    }
    auto error_it = channel_errors_.find(channels[i]);
    if (error_it != channel_errors_.end()) {
      ++failures;
      out.append(",\"error\":");
      const ChannelError& e = error_it->second;
      AppendAblyError(out, e.code, e.status_code, e.message);
      out.push_back('}');
      continue;
    }
    out.append(",\"presence\":[");
    auto channel_it = channels_.find(channels[i]);
    if (channel_it != channels_.end()) {
      bool first = true;
      for (const auto& [key, member] : channel_it->second) {
        if (!first) out.push_back(',');
        first = false;
        AppendMemberLocked(member, out);
      }
    }
    out.append("]}");
  }
  return failures;
}

size_t FakeAblyState::RenderMembers(const std::string& channel, size_t offset, size_t limit,
                                    std::string& out,
                                    std::optional<std::pair<int, int>>& error) const {
  std::lock_guard lock(mu_);
  auto error_it = channel_errors_.find(channel);
  if (error_it != channel_errors_.end()) {
    error = std::make_pair(error_it->second.code, error_it->second.status_code);
    return 0;
  }
  out.push_back('[');
  auto channel_it = channels_.find(channel);
  size_t total = 0;
  if (channel_it != channels_.end()) {
    total = channel_it->second.size();
    size_t index = 0;
    bool first = true;
    for (const auto& [key, member] : channel_it->second) {
      if (index >= offset + limit) break;
      if (index++ < offset) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendMemberLocked(member, out);
    }
  }
  out.push_back(']');
  return total;
}

std::pair<std::vector<std::string>, bool> FakeAblyState::ListChannels(const std::string& prefix,
                                                                      const std::string& after,
                                                                      size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  auto it = !after.empty() && after >= prefix ? channels_.upper_bound(after)
                                              : channels_.lower_bound(prefix);
  for (; it != channels_.end() && it->first.starts_with(prefix); ++it) {
    if (names.size() == limit) return {std::move(names), true};
    names.push_back(it->first);
  }
  return {std::move(names), false};
}

void FakeAblyState::Record(RecordedRequest request) {
  std::lock_guard lock(mu_);
  ++request_count_;
  requests_.push_back(std::move(request));
  while (requests_.size() > options_.max_recorded_requests) requests_.pop_front();
}

std::vector<RecordedRequest> FakeAblyState::Requests() const {
  std::lock_guard lock(mu_);
  return {requests_.begin(), requests_.end()};
}

size_t FakeAblyState::RequestCount() const {
  std::lock_guard lock(mu_);
  return request_count_;
}

void FakeAblyState::Reset() {
  std::lock_guard lock(mu_);
  channels_.clear();
  connections_.clear();
  channel_errors_.clear();
  fail_count_ = truncate_count_ = garbage_count_ = empty_pages_ = 0;
  delay_ = std::chrono::milliseconds(0);
  max_channels_ = options_.max_channels;
  requests_.clear();
  request_count_ = 0;
  history_.Clear();
  history_.SetRetention(PresenceHistory::kDefaultRetention);
  bill_ = {};
}

void FakeAblyState::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
}

}  // namespace presenced::testing
