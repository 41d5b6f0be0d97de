#include "presence/channel_events.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace presenced {

size_t AddChannelEvents(size_t members_before, std::vector<Event>& events,
                        ClientCounting counting) {
  // After which event index to insert which channel event, in event order.
  std::vector<std::pair<size_t, Action>> inserts;
  int64_t members = static_cast<int64_t>(members_before);
  size_t first_gain = SIZE_MAX, last_loss = SIZE_MAX;
  for (size_t i = 0; i < events.size(); ++i) {
    const int change = MemberCountChange(events[i].action);
    if (change == 0) continue;
    const int64_t was = members;
    // A leave of a member never counted cannot make the count negative.
    members = std::max<int64_t>(0, members + change);
    if (change > 0 && first_gain == SIZE_MAX) first_gain = i;
    if (change < 0) last_loss = i;
    if (counting == ClientCounting::kSequential) {
      if (was == 0 && members > 0) inserts.emplace_back(i, Action::kOccupied);
      if (was > 0 && members == 0) inserts.emplace_back(i, Action::kVacated);
    }
  }
  if (counting == ClientCounting::kNet) {
    if (members_before == 0 && members > 0) inserts.emplace_back(first_gain, Action::kOccupied);
    if (members_before > 0 && members == 0) inserts.emplace_back(last_loss, Action::kVacated);
  }
  if (inserts.empty()) return 0;
  std::vector<Event> out;
  out.reserve(events.size() + inserts.size());
  size_t next = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    out.push_back(std::move(events[i]));
    if (next >= inserts.size() || inserts[next].first != i) continue;
    const size_t cause = out.size() - 1;
    // The cause's online/offline events (client_events.h) stay right after it.
    while (i + 1 < events.size() &&
           (events[i + 1].action == Action::kOnline || events[i + 1].action == Action::kOffline)) {
      out.push_back(std::move(events[++i]));
    }
    out.push_back(ChannelEvent(out[cause], inserts[next++].second));
  }
  events = std::move(out);
  return inserts.size();
}

}  // namespace presenced
