#pragma once

// What the `presence:` section means for the diff: one place that builds DiffOptions from the
// config, for the snapshot cycle, the history reconcile and `--once`.

#include "config/config.h"
#include "presence/diff.h"

namespace presenced {

// Returns the diff options of `config` (update_on, leave_after_misses); a first snapshot emits
// `present` per member when `first_snapshot_present`.
DiffOptions DiffOptionsFrom(const PresenceConfig& config, bool first_snapshot_present);
// The same, with `present` for a first snapshot as `initial_snapshot` says.
DiffOptions DiffOptionsFrom(const PresenceConfig& config);

}  // namespace presenced
