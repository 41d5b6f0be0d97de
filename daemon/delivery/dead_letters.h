#pragma once

// CLI support for dead letters (`presenced --dead-letters`, `--replay-dead-letters NAME`).

#include <cstdint>
#include <string>

#include "common/result.h"
#include "config/config.h"
#include "state/state_store.h"

namespace presenced {

// Returns the text printed by --dead-letters: one line per sink (webhook or kafka) with dead
// letters ("<sink>: <count> events, oldest <UTC time>, last given up <UTC time>: <last error>"),
// or "no dead letters\n"; the store's error when it cannot be read.
Result<std::string> DescribeDeadLetters(StateStore& store);

// Moves sink `sink`'s dead letters back into its outbox, in their original order and ahead of any
// newer pending event (they are older); a running daemon picks them up after its batch in
// flight. Returns the number of events moved (0 when there were none).
Result<uint64_t> ReplayDeadLetters(StateStore& store, const std::string& sink);

// Appends to `sink`'s outbox one `sync` event per stored channel its globs match, with the
// channel's last committed member set, so a receiver that got replayed (old) events late can
// replace its view (CONTRACT §4). The syncs go after every pending event. Returns how many.
Result<uint64_t> QueueStoredSyncs(StateStore& store, const SinkRoute& sink, int64_t now_ms);

}  // namespace presenced
