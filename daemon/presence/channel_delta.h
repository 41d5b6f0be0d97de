#pragma once

// ChannelDelta: the change between two states of one channel — the members to insert or replace
// (complete records, miss counts included) and the keys to remove, each sorted by key like a
// ChannelState. A cycle persists deltas instead of whole channels, so its disk writes scale with
// the members that changed (state/state_store.h); start-up applies them to the last full
// snapshot.
//
// Pure value type; thread-compatible. Decode returns an Error for malformed input.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "presence/channel_state.h"

namespace presenced {

struct ChannelDelta {
  ChannelState upserts;   // members whose record is new or changed
  ChannelState removals;  // keys (client_id, connection_id) no longer tracked; other fields empty

  bool empty() const { return upserts.empty() && removals.empty(); }

  // Returns a compact, versioned binary encoding.
  std::string Encode() const;
  // Parses the output of Encode.
  static Result<ChannelDelta> Decode(std::string_view bytes);
};

// Returns `state` with `delta` applied: removals dropped, upserts inserted or replacing.
ChannelState Apply(const ChannelState& state, const ChannelDelta& delta);

// Returns one delta with the effect of `first` followed by `second` (for replaying many).
ChannelDelta Combine(const ChannelDelta& first, const ChannelDelta& second);

// Returns the state a stored snapshot describes: `snapshot` (ChannelState::Encode) with the
// encoded deltas stored after it applied in order; an Error when any of them is malformed.
Result<ChannelState> RestoreState(std::string_view snapshot,
                                  const std::vector<std::string>& deltas);

}  // namespace presenced
