#pragma once

// The standard process metrics every Prometheus client library exports (unprefixed, as the Go
// client names them): process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds.
// prometheus-cpp has no process collector, so they are read at scrape time from /proc/self (which
// the unit's ProcSubset=pid and ProtectProc=invisible still show) and getrlimit. Internal to the
// metrics module. Thread-safe.

#include <prometheus/metric_family.h>

#include <optional>
#include <string_view>
#include <vector>

namespace presenced {

// The fields of /proc/self/stat that the metrics need.
struct ProcessStat {
  double cpu_seconds = 0;         // utime + stime
  double start_after_boot_s = 0;  // starttime
  double virtual_bytes = 0;       // vsize
  double resident_bytes = 0;      // rss pages × page size
};

// Parses the text of /proc/<pid>/stat (the command name may hold spaces and parentheses).
std::optional<ProcessStat> ParseProcessStat(std::string_view text, long clock_ticks_per_second,
                                            long page_size);

// Appends the process families to `families`; a value that cannot be read is left out.
void AppendProcessMetrics(std::vector<prometheus::MetricFamily>& families);

}  // namespace presenced
