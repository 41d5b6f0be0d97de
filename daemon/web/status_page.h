#pragma once

// The HTML status page (GET /), rendered from a StatusView: plain HTML and CSS, no JavaScript,
// readable on a phone (a viewport, tables that wrap long words instead of overflowing), with
// absolute times on hover (<time title>) and a small inline SVG chart of the last hour.
//
// Order, most urgent first: ready or not and why, the state at a glance (uptime, last cycle,
// events and Ably errors of the last hour, the chart), sinks, stale channels with why, recent
// events (newest first), every channel (paged), the config summary.
//
// Pure; thread-compatible.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "web/status.h"
#include "web/status_history.h"

namespace presenced {

// Everything one page shows; the references outlive the rendering.
struct StatusView {
  const std::string& build;
  const std::string& config;
  bool show_members = false;
  std::optional<std::string> not_ready;  // nullopt: ready
  int64_t started_ms = 0;
  int64_t now_ms = 0;
  const std::optional<CycleStatus>& last_cycle;
  uint64_t cycles = 0;
  uint64_t overruns = 0;
  const std::vector<StatusChannel>& channels;  // by name
  const std::deque<StatusEvent>& events;       // newest first
  std::vector<LastHour::Minute> minutes;       // oldest first
  std::map<Action, uint64_t> events_by_action;
  std::vector<ErrorCodeCount> errors_by_code;  // most frequent first
  std::vector<SinkStatus> sinks;
};

// The most rows of the sinks and Ably-error tables on the page (all are in the JSON).
constexpr size_t kMaxSinkRows = 50;
constexpr size_t kMaxErrorCodeRows = 20;

// Returns the page; `page` numbers the channel pages from 1 (past the last: the last, saying so).
std::string RenderStatusPage(const StatusView& view, size_t page);

}  // namespace presenced
