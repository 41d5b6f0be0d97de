#pragma once

// Logging set-up: spdlog to stderr (journald picks it up), as text or one JSON object per line.

#include "config/config.h"

namespace presenced {

// Configures the default logger from `log` (level and format). Safe to call again on reload.
void SetupLogging(const LogConfig& log);

}  // namespace presenced
