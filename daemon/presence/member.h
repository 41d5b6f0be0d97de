#pragma once

// Member: one presence member as Ably reports it in a snapshot. A member is identified by the
// pair (client_id, connection_id); one clientId on two connections is two members.

#include <cstdint>
#include <string>

namespace presenced {

struct Member {
  std::string client_id;
  std::string connection_id;
  std::string id;         // Ably's presence message id, "connectionId:msgSerial:index" (memberId)
  std::string data;       // raw JSON text of `data` exactly as received ("" when absent)
  std::string encoding;   // Ably `encoding` chain ("" when absent)
  int64_t timestamp = 0;  // Ably's timestamp of the message, ms since the epoch
};

}  // namespace presenced
