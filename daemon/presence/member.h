#pragma once

// Member: one presence member as Ably reports it in a snapshot. A member is identified by the
// pair (client_id, connection_id); one clientId on two connections is two members.
//
// Two forms: Member owns its text (paged reads, history, tests); MemberView points at text owned
// elsewhere (a ChannelState's arena, a Member, or a response body while it is being parsed and
// diffed), so the hot path of a poll cycle copies only what changed. ViewOf and ToMember convert.

#include <cstdint>
#include <string>
#include <string_view>

namespace presenced {

struct Member {
  std::string client_id;
  std::string connection_id;
  std::string id;         // Ably's presence message id, "connectionId:msgSerial:index" (memberId)
  std::string data;       // raw JSON text of `data` exactly as received ("" when absent)
  std::string encoding;   // Ably `encoding` chain ("" when absent)
  int64_t timestamp = 0;  // Ably's timestamp of the message, ms since the epoch
};

// A read-only view of one member: the fields of Member, and the miss count a ChannelState keeps
// for it. The string_views are valid as long as the text they point at (see the file comment).
struct MemberView {
  std::string_view client_id;
  std::string_view connection_id;
  std::string_view id;
  std::string_view data;
  std::string_view encoding;
  int64_t timestamp = 0;
  uint32_t misses = 0;  // successive successful snapshots this member was missing from
};

// Returns a view of `m`, valid while `m` is alive and unchanged.
inline MemberView ViewOf(const Member& m, uint32_t misses = 0) {
  return MemberView{m.client_id, m.connection_id, m.id, m.data, m.encoding, m.timestamp, misses};
}

// Returns an owning copy of `v` (the miss count is not part of a Member).
inline Member ToMember(const MemberView& v) {
  return Member{std::string(v.client_id), std::string(v.connection_id), std::string(v.id),
                std::string(v.data),      std::string(v.encoding),      v.timestamp};
}

}  // namespace presenced
