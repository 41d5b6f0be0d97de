#pragma once

// FakeSource: a scripted PresenceSource for service tests. Snapshots answer each channel's
// current `members`; history answers the scripted `history` messages inside the requested
// window; channels in `failing` fail both, those in `failing_history` only history reads. With
// `server_now` set, a read whose window would leave after the retention is not sent.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ably/presence_source.h"

namespace presenced::testing {

class FakeSource final : public PresenceSource {
 public:
  void StreamPresence(const std::vector<std::string>& channels, const std::atomic<bool>&,
                      const ChannelConsumer& consume) override {
    if (before_fetch) before_fetch();
    for (size_t i = 0; i < channels.size(); ++i) {
      ChannelPresence result;
      result.channel = channels[i];
      if (failing.count(channels[i])) {
        result.error = {50003, 503, "timeout"};
      } else {
        result.ok = true;
        result.members = members[channels[i]];
      }
      consume(i, result);
    }
    fetched.push_back(channels);
  }
  void StreamHistory(const std::vector<HistoryRequest>& requests, const std::atomic<bool>&,
                     const HistoryConsumer& consume) override {
    for (size_t i = 0; i < requests.size(); ++i) {
      ChannelHistory result;
      result.channel = requests[i].channel;
      if (requests[i].retention_ms > 0 && server_now &&
          server_now() + send_delay_ms - requests[i].start_ms > requests[i].retention_ms) {
        result.out_of_retention = true;  // not sent: its window left the retention
        consume(i, result);
        continue;
      }
      if (failing.count(requests[i].channel) || failing_history.count(requests[i].channel)) {
        result.error = {50003, 503, "timeout"};
      } else {
        result.ok = true;
        for (const PresenceMessage& m : history[requests[i].channel]) {
          if (m.member.timestamp >= requests[i].start_ms &&
              m.member.timestamp <= requests[i].end_ms) {
            result.messages.push_back(m);
          }
        }
      }
      consume(i, result);
    }
    history_requests.push_back(requests);
  }
  Result<std::vector<std::string>> ListChannels(const std::string&,
                                                const std::atomic<bool>&) override {
    return std::vector<std::string>{};
  }
  void SetPollInterval(std::chrono::milliseconds interval) override {
    if (on_poll_interval) on_poll_interval(interval);
  }
  std::optional<int64_t> ServerNowMs() const override {
    if (server_now) return server_now();
    return std::nullopt;
  }

  // Called at the start of every StreamPresence (a test may block the poll loop in it).
  std::function<void()> before_fetch;
  // Called with what SetPollInterval is given (the app: poll.interval).
  std::function<void(std::chrono::milliseconds)> on_poll_interval;

  void Enter(const std::string& channel, const std::string& client, const std::string& data) {
    members[channel].push_back({client, "conn-" + client,
                                "conn-" + client + ":" + std::to_string(++serial) + ":0", data, "",
                                1000 + serial});
  }
  void Leave(const std::string& channel, const std::string& client) {
    auto& list = members[channel];
    std::erase_if(list, [&](const Member& m) { return m.client_id == client; });
  }

  // Changes a member as Ably does and records it in history at `timestamp`: enter and update
  // store it with a new id, leave removes it (its leave message has an id of its own).
  void Change(const std::string& channel, MessageAction action, const std::string& client,
              const std::string& data, int64_t timestamp) {
    auto& list = members[channel];
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const Member& m) { return m.client_id == client; });
    Member m{
        client, "conn-" + client, "conn-" + client + ":" + std::to_string(++serial) + ":0", data,
        "",     timestamp};
    if (action == MessageAction::kLeave) {
      if (it != list.end()) list.erase(it);
    } else if (it != list.end()) {
      *it = m;
    } else {
      list.push_back(m);
    }
    history[channel].push_back({action, m});
  }

  // Ably's clock; unset: the source has none (the poller uses its own clock).
  std::function<int64_t()> server_now;
  // History reads leave this long after the cycle started (a slow cycle), as server_now sees it.
  int64_t send_delay_ms = 0;
  std::map<std::string, std::vector<Member>> members;
  std::map<std::string, std::vector<PresenceMessage>> history;
  std::set<std::string> failing;          // snapshots and history fail
  std::set<std::string> failing_history;  // history fails
  std::vector<std::vector<HistoryRequest>> history_requests;
  std::vector<std::vector<std::string>> fetched;
  int serial = 0;
};

}  // namespace presenced::testing
