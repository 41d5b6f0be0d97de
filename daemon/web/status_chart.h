#pragma once

// The status page's chart: members (a line) and events (bars) per minute over the last hour, as
// inline SVG (no JavaScript). Each minute has a hover title with its UTC time and both counts;
// the axes say the largest value of each series. A minute without a finished cycle leaves a gap
// in the line. Its size is fixed (about 10 KB) whatever the counts.
//
// Pure; thread-safe.

#include <string>
#include <vector>

#include "web/status_history.h"

namespace presenced {

// Returns the <figure> holding the chart of `minutes` (oldest first, LastHour::kMinutes of them).
std::string RenderChart(const std::vector<LastHour::Minute>& minutes);

}  // namespace presenced
