#include "web/status_chart.h"

#include <algorithm>
#include <cstdio>

#include "web/status_text.h"

namespace presenced {
namespace {

// The drawing area inside the 640×150 view box.
constexpr double kLeft = 8, kRight = 632, kTop = 12, kBottom = 122;

std::string Number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", value);
  return buf;
}

// Returns "12:05 UTC" for the minute starting at `start_ms`.
std::string MinuteLabel(int64_t start_ms) { return IsoTime(start_ms).substr(11, 5) + " UTC"; }

}  // namespace

std::string RenderChart(const std::vector<LastHour::Minute>& minutes) {
  uint64_t max_members = 0, max_events = 0;
  for (const LastHour::Minute& m : minutes) {
    max_members = std::max(max_members, m.members);
    max_events = std::max(max_events, m.events);
  }
  const size_t n = std::max<size_t>(minutes.size(), 1);
  const double slot = (kRight - kLeft) / static_cast<double>(n);
  const auto y_of = [](uint64_t value, uint64_t max) {
    if (max == 0) return kBottom;
    return kBottom - (kBottom - kTop) * static_cast<double>(value) / static_cast<double>(max);
  };
  std::string out =
      "<figure><svg viewBox=\"0 0 640 150\" role=\"img\" aria-labelledby=\"chart-title\">"
      "<title id=\"chart-title\">Members and events per minute over the last hour</title>"
      "<rect x=\"0\" y=\"0\" width=\"640\" height=\"150\" fill=\"#fafafa\"/>"
      "<line x1=\"8\" y1=\"122\" x2=\"632\" y2=\"122\" stroke=\"#bbb\"/>";
  std::string line;  // the members' polyline points; a gap starts a new polyline
  size_t points = 0;
  double last_x = 0, last_y = 0;
  auto flush = [&] {
    if (points == 1) {  // a polyline of one point draws nothing: a dot instead
      out += "<circle cx=\"" + Number(last_x) + "\" cy=\"" + Number(last_y) +
             "\" r=\"2.5\" fill=\"#1f5fa8\"/>";
    } else if (points > 1) {
      out +=
          "<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\" points=\"" + line + "\"/>";
    }
    line.clear();
    points = 0;
  };
  for (size_t i = 0; i < minutes.size(); ++i) {
    const LastHour::Minute& m = minutes[i];
    const double x = kLeft + slot * static_cast<double>(i);
    const double bar_top = y_of(m.events, max_events);
    if (m.events > 0) {
      out += "<rect x=\"" + Number(x + 1) + "\" y=\"" + Number(bar_top) + "\" width=\"" +
             Number(slot - 2) + "\" height=\"" + Number(kBottom - bar_top) +
             "\" fill=\"#f0b46e\"/>";
    }
    if (m.sampled) {
      last_x = x + slot / 2;
      last_y = y_of(m.members, max_members);
      if (!line.empty()) line += ' ';
      line += Number(last_x) + ',' + Number(last_y);
      ++points;
    } else {
      flush();
    }
  }
  flush();
  // Hover areas last, on top: one per minute with its time and counts.
  for (size_t i = 0; i < minutes.size(); ++i) {
    const LastHour::Minute& m = minutes[i];
    out += "<rect x=\"" + Number(kLeft + slot * static_cast<double>(i)) + "\" y=\"0\" width=\"" +
           Number(slot) + "\" height=\"150\" fill=\"transparent\"><title>" +
           MinuteLabel(m.start_ms) + ": " +
           (m.sampled ? std::to_string(m.members) + " members" : std::string("no cycle")) + ", " +
           std::to_string(m.events) + " events</title></rect>";
  }
  out +=
      "<text x=\"8\" y=\"142\" font-size=\"11\" fill=\"#555\">" +
      (minutes.empty() ? std::string() : MinuteLabel(minutes.front().start_ms)) +
      "</text><text x=\"632\" y=\"142\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">" +
      (minutes.empty() ? std::string() : MinuteLabel(minutes.back().start_ms)) +
      "</text></svg><figcaption><span class=\"key members\"></span>members (top: " +
      std::to_string(max_members) +
      ") <span class=\"key events\"></span>events per minute (top: " + std::to_string(max_events) +
      ")</figcaption></figure>";
  return out;
}

}  // namespace presenced
