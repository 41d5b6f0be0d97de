#include "config/presence_options.h"

namespace presenced {

DiffOptions DiffOptionsFrom(const PresenceConfig& config, bool first_snapshot_present) {
  DiffOptions options;
  options.update_on = config.update_on;
  options.leave_after_misses = config.leave_after_misses;
  options.first_snapshot_present = first_snapshot_present;
  return options;
}

DiffOptions DiffOptionsFrom(const PresenceConfig& config) {
  return DiffOptionsFrom(config,
                         config.initial_snapshot == PresenceConfig::InitialSnapshot::kPresent);
}

}  // namespace presenced
