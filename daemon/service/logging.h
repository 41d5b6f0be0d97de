#pragma once

// Logging set-up: spdlog to stderr, as text or one JSON object per line (with the thread's
// LogFields as keys, common/log_fields.h). When stderr is journald's stream ($JOURNAL_STREAM
// names its device and inode, as systemd sets it), each line starts with its syslog priority
// (`<4>`), so `journalctl -p warning` selects by level, and carries no timestamp of its own.

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <memory>
#include <string>

#include "config/config.h"

namespace presenced {

// Configures the default logger from `log` (level and format). Safe to call again on reload.
void SetupLogging(const LogConfig& log);

// Returns the syslog priority of a level: critical 2, error 3, warn 4, info 6, debug/trace 7.
int SyslogPriority(spdlog::level::level_enum level);
// True when `journal_stream` ($JOURNAL_STREAM, "device:inode") names this process's stderr.
bool StderrIsJournal(const char* journal_stream);
// Returns the spdlog pattern for `log` (with the custom flags %j, %F and %P of SetupLogging).
std::string LogPattern(const LogConfig& log, bool journal);
// Returns the formatter SetupLogging gives the logger (journal: stderr is journald's stream).
std::unique_ptr<spdlog::formatter> MakeLogFormatter(const LogConfig& log, bool journal);

}  // namespace presenced
