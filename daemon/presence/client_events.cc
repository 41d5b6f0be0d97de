#include "presence/client_events.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace presenced {
namespace {

// An online/offline event caused by `cause`: its member, timestamps and no data.
Event ClientEvent(const Event& cause, Action action) {
  return MakeEvent(cause.channel, action, cause.client_id, cause.connection_id, cause.member_id, "",
                   "", cause.timestamp, cause.observed_at);
}

struct Client {
  int64_t connections = 0;  // before the events, then running (kSequential) or net (kNet)
  int64_t before = 0;
  size_t first_gain = SIZE_MAX;  // index of the first event adding a connection
  size_t last_loss = SIZE_MAX;   // index of the last event removing one
};

}  // namespace

ClientChanges AddClientEvents(const ChannelState* before, std::vector<Event>& events,
                              ClientCounting counting, bool emit) {
  // After which event index to insert which client event, in event order.
  std::vector<std::pair<size_t, Action>> inserts;
  std::unordered_map<std::string_view, Client> clients;
  for (size_t i = 0; i < events.size(); ++i) {
    const int change = MemberCountChange(events[i].action);
    if (change == 0) continue;
    auto [it, added] = clients.try_emplace(events[i].client_id);
    Client& client = it->second;
    if (added) {
      client.before = before ? static_cast<int64_t>(before->CountClient(events[i].client_id)) : 0;
      client.connections = client.before;
    }
    const int64_t was = client.connections;
    client.connections += change;
    if (change > 0 && client.first_gain == SIZE_MAX) client.first_gain = i;
    if (change < 0) client.last_loss = i;
    if (counting == ClientCounting::kSequential) {
      if (was == 0 && client.connections > 0) inserts.emplace_back(i, Action::kOnline);
      if (was > 0 && client.connections == 0) inserts.emplace_back(i, Action::kOffline);
    }
  }
  ClientChanges changes;
  for (const auto& [client_id, client] : clients) {
    const bool online = client.before == 0 && client.connections > 0;
    const bool offline = client.before > 0 && client.connections <= 0;
    if (online) changes.online.emplace_back(client_id);
    if (offline) changes.offline.emplace_back(client_id);
    if (counting == ClientCounting::kNet && online) {
      inserts.emplace_back(client.first_gain, Action::kOnline);
    }
    if (counting == ClientCounting::kNet && offline) {
      inserts.emplace_back(client.last_loss, Action::kOffline);
    }
  }
  if (!emit || inserts.empty()) return changes;
  std::sort(inserts.begin(), inserts.end());
  std::vector<Event> out;
  out.reserve(events.size() + inserts.size());
  size_t next = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    out.push_back(std::move(events[i]));
    const size_t cause = out.size() - 1;
    for (; next < inserts.size() && inserts[next].first == i; ++next) {
      out.push_back(ClientEvent(out[cause], inserts[next].second));
    }
  }
  events = std::move(out);
  return changes;
}

}  // namespace presenced
