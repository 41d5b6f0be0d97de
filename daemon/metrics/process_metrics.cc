#include "metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace presenced {
namespace {

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {name, help, type, {metric}};
}

std::optional<double> OpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory's own descriptor, open only while counting
}

double Seconds(clockid_t clock) {
  timespec now{};
  ::clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

}  // namespace

std::optional<ProcessStat> ParseProcessStat(std::string_view text, long clock_ticks_per_second,
                                            long page_size) {
  // "pid (comm) state ppid ...": fields after the last ')' start at field 3 (state).
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos || clock_ticks_per_second <= 0) return std::nullopt;
  std::istringstream fields{std::string(text.substr(close + 1))};
  std::vector<std::string> values;
  for (std::string value; fields >> value;) values.push_back(value);
  // Field N of proc(5) is values[N - 3].
  const auto field = [&](size_t n) -> std::optional<double> {
    if (n - 3 >= values.size()) return std::nullopt;
    unsigned long long number = 0;
    const std::string& text_value = values[n - 3];
    const auto [end, error] =
        std::from_chars(text_value.data(), text_value.data() + text_value.size(), number);
    if (error != std::errc() || end != text_value.data() + text_value.size()) return std::nullopt;
    return static_cast<double>(number);
  };
  const auto utime = field(14), stime = field(15), start = field(22), vsize = field(23),
             rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  const double ticks = static_cast<double>(clock_ticks_per_second);
  return ProcessStat{(*utime + *stime) / ticks, *start / ticks, *vsize,
                     *rss * static_cast<double>(page_size)};
}

void AppendProcessMetrics(std::vector<prometheus::MetricFamily>& families) {
  using prometheus::MetricType;
  std::ifstream file("/proc/self/stat");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (auto stat = ParseProcessStat(text, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE))) {
    families.push_back(Family("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.",
                              MetricType::Counter, stat->cpu_seconds));
    families.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes.",
                              MetricType::Gauge, stat->resident_bytes));
    families.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                              MetricType::Gauge, stat->virtual_bytes));
    // The boot time is now minus the time since boot; /proc/stat's btime is hidden by the unit's
    // ProcSubset=pid. A real OS reading, not a schedule: no Clock.
    const double boot = Seconds(CLOCK_REALTIME) - Seconds(CLOCK_BOOTTIME);
    families.push_back(Family("process_start_time_seconds",
                              "Start time of the process since unix epoch in seconds.",
                              MetricType::Gauge, boot + stat->start_after_boot_s));
  }
  if (auto fds = OpenFds()) {
    families.push_back(
        Family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, *fds));
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    families.push_back(Family("process_max_fds", "Maximum number of open file descriptors.",
                              MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
}

}  // namespace presenced
