#include "web/status_page.h"

#include <algorithm>
#include <cstdio>

#include "web/status_chart.h"
#include "web/status_text.h"

namespace presenced {
namespace {

// Escaped bytes a cell may take on the page (status_text.h EscapeCut): with 100 rows per table
// the page stays under 256 KiB whatever the fields hold.
constexpr size_t kNameCell = 120;   // channel names, clientIds, connectionIds, sink names
constexpr size_t kErrorCell = 200;  // error texts
// The per-code messages are kept short (status.cc), so the page shows them whole: 20 rows.
constexpr size_t kMessageCell = 1024;
constexpr size_t kDataCell = 80;  // member data

constexpr const char* kStyle =
    "*{box-sizing:border-box}"
    "body{font:14px/1.4 system-ui,sans-serif;margin:1em auto;max-width:72em;padding:0 1em;"
    "color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em;max-width:100%}"
    // Outside text may break anywhere, so no table is wider than a phone; headers, numbers
    // and keywords (.k) only between words.
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top;"
    "overflow-wrap:anywhere}th{background:#f2f2f2}th,td.num,td.k{overflow-wrap:normal}"
    "time{white-space:nowrap}"
    ".stale{background:#fde2e2}.num{text-align:right}code{font-size:12px;overflow-wrap:anywhere}"
    ".state{display:inline-block;font-weight:600;padding:.3em .8em;border-radius:4px}"
    ".ready{background:#dcf2e1;color:#14532d}.notready{background:#fde2e2;color:#7f1d1d}"
    "figure{margin:.5em 0 1.5em}svg{width:100%;max-width:640px;height:auto;display:block}"
    ".key{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .8em;vertical-align:-.1em}"
    ".key.members{background:#1f5fa8}.key.events{background:#f0b46e}"
    "time{text-decoration:underline dotted}time.plain{text-decoration:none}"
    "@media (max-width:600px){body{padding:0 .4em;font-size:13px}th,td{padding:.2em .3em}}";

// "1 channel", "2 channels".
std::string Counted(uint64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// A relative time with the absolute one on hover; "never" for 0.
std::string Time(int64_t then_ms, int64_t now_ms) {
  if (then_ms == 0) return "never";
  const std::string iso = IsoTime(then_ms);
  return "<time datetime=\"" + iso + "\" title=\"" + iso + "\">" + Ago(then_ms, now_ms) + "</time>";
}

// "0.034s", "2.5s".
std::string Seconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, seconds < 1 ? "%.3fs" : "%.1fs", seconds);
  return buf;
}

std::string Num(uint64_t n) { return "<td class=\"num\">" + std::to_string(n) + "</td>"; }

// A table head: one <th scope="col"> per name.
std::string Head(std::initializer_list<const char*> columns) {
  std::string out = "<table><thead><tr>";
  for (const char* c : columns) out += std::string("<th scope=\"col\">") + c + "</th>";
  return out + "</tr></thead><tbody>";
}

// "code 40160: message", or "network error (no Ably code): message".
std::string ErrorText(int code, const Clipped& message) {
  const std::string text = code == 0 ? "no Ably code" : "code " + std::to_string(code);
  return text + ": " + (message.size == 0 ? "the fetch failed" : EscapeCut(message, kErrorCell));
}

void AppendState(std::string& out, const StatusView& v) {
  if (v.not_ready) {
    out += "<p class=\"state notready\">Not ready: " + EscapeCut(*v.not_ready, 4 * kErrorCell) +
           "</p>";
  } else {
    out += "<p class=\"state ready\">Ready</p>";
  }
  const std::string started = IsoTime(v.started_ms);
  out += "<p>" + HtmlEscape(v.build) + ". Up " + Span(v.now_ms - v.started_ms) +
         ", since <time class=\"plain\" datetime=\"" + started + "\">" + started +
         "</time>.</p><nav><a href=\"/metrics\">/metrics</a> · <a href=\"/api/v1/status\">"
         "/api/v1/status</a> · <a href=\"/-/ready\">/-/ready</a> · <a href=\"/-/healthy\">"
         "/-/healthy</a></nav>";
}

void AppendGlance(std::string& out, const StatusView& v) {
  uint64_t members = 0, stale = 0;
  for (const StatusChannel& c : v.channels) {
    members += c.members;
    stale += c.stale;
  }
  out += "<h2>At a glance</h2><p>" + Counted(v.channels.size(), "channel") + ", " +
         Counted(members, "member") + ", " + std::to_string(stale) + " stale.</p>";
  out += "<table><tbody><tr><th scope=\"row\">last cycle</th><td>";
  if (v.last_cycle) {
    const CycleStatus& c = *v.last_cycle;
    out += "finished " + Time(c.at_ms, v.now_ms) + ", took " + Seconds(c.seconds) +
           (c.overrun ? " (longer than poll.interval)" : "") + "; " + std::to_string(c.failed) +
           " of " + Counted(c.channels, "channel") + " failed";
  } else {
    out += "none finished yet";
  }
  out += "</td></tr><tr><th scope=\"row\">overruns</th><td>" + std::to_string(v.overruns) + " of " +
         Counted(v.cycles, "cycle") + " took longer than poll.interval</td></tr>";
  out += "<tr><th scope=\"row\">events, last hour</th><td>";
  if (v.events_by_action.empty()) out += "none";
  bool first = true;
  for (const auto& [action, count] : v.events_by_action) {
    out += std::string(first ? "" : " · ") + std::string(ActionName(action)) + " " +
           std::to_string(count);
    first = false;
  }
  out += "</td></tr></tbody></table>";
  out += "<h3>Ably errors, last hour (failed channel fetches by code)</h3>";
  if (v.errors_by_code.empty()) {
    out += "<p>none</p>";
  } else {
    out += Head({"code", "failed fetches", "last message"});
    for (size_t i = 0; i < std::min(v.errors_by_code.size(), kMaxErrorCodeRows); ++i) {
      const ErrorCodeCount& e = v.errors_by_code[i];
      out += "<tr><td>" +
             (e.code == LastHour::kOtherCodes ? std::string("other")
              : e.code == 0                   ? std::string("none (no Ably code)")
                                              : std::to_string(e.code)) +
             "</td>" + Num(e.count) + "<td>" + EscapeCut(e.message, kMessageCell) + "</td></tr>";
    }
    out += "</tbody></table>";
  }
  out += "<h3>Members and events per minute, last hour</h3>" + RenderChart(v.minutes);
}

void AppendSinks(std::string& out, const StatusView& v) {
  out += "<h2>Sinks</h2>";
  if (v.sinks.empty()) {
    out += "<p>none configured</p>";
    return;
  }
  out += Head({"kind", "name", "pending", "oldest", "dead letters", "last error"});
  for (size_t i = 0; i < std::min(v.sinks.size(), kMaxSinkRows); ++i) {
    const SinkStatus& s = v.sinks[i];
    out += "<tr><td class=\"k\">" + EscapeCut(s.kind, kNameCell) + "</td><td>" +
           EscapeCut(s.name, kNameCell) + "</td>" + Num(s.pending) + "<td class=\"num\">" +
           OneDecimal(s.oldest_age_seconds) + "s</td>" + Num(s.dead_letters) + "<td>" +
           EscapeCut(s.last_error, kErrorCell) + "</td></tr>";
  }
  out += "</tbody></table>";
  if (v.sinks.size() > kMaxSinkRows) {
    out += "<p>The first " + std::to_string(kMaxSinkRows) + " of " +
           std::to_string(v.sinks.size()) + " sinks; all in /api/v1/status.</p>";
  }
}

void AppendStale(std::string& out, const StatusView& v, uint64_t stale) {
  if (stale == 0) return;
  out += "<h2>Stale channels (" +
         (stale > StatusModel::kChannelsPerPage
              ? "the first " + std::to_string(StatusModel::kChannelsPerPage) + " of " +
                    std::to_string(stale) + " by name; all in /api/v1/status"
              : std::to_string(stale)) +
         ")</h2>";
  out += Head({"channel", "members", "clients", "last success", "why (last error)"});
  size_t shown = 0;
  for (const StatusChannel& c : v.channels) {
    if (!c.stale || shown++ >= StatusModel::kChannelsPerPage) continue;
    out += "<tr class=\"stale\"><td>" + EscapeCut(c.name, kNameCell) + "</td>" + Num(c.members) +
           Num(c.clients) + "<td>" + Time(c.last_success_ms, v.now_ms) + "</td><td>" +
           ErrorText(c.last_error_code, c.last_error) + " (" + Time(c.last_error_ms, v.now_ms) +
           ")</td></tr>";
  }
  out += "</tbody></table>";
}

void AppendEvents(std::string& out, const StatusView& v) {
  out += "<h2>Recent events (last " + std::to_string(v.events.size()) + ", newest first)</h2>";
  if (!v.show_members) {
    out +=
        "<p>clientIds, connectionIds and data are hidden; set <code>http.status_members: "
        "true</code> to show them.</p>";
  }
  out += v.show_members
             ? Head({"observed", "channel", "action", "clientId", "connectionId", "data"})
             : Head({"observed", "channel", "action"});
  for (const StatusEvent& e : v.events) {
    out += "<tr><td>" + Time(e.observed_at, v.now_ms) + "</td><td>" +
           EscapeCut(e.channel, kNameCell) + "</td><td class=\"k\">" +
           std::string(ActionName(e.action)) + "</td>";
    if (v.show_members) {
      out += "<td>" + EscapeCut(e.client_id, kNameCell) + "</td><td>" +
             EscapeCut(e.connection_id, kNameCell) + "</td><td>" + EscapeCut(e.data, kDataCell) +
             "</td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table>";
}

void AppendChannels(std::string& out, const StatusView& v, size_t page) {
  const size_t per_page = StatusModel::kChannelsPerPage;
  const size_t pages = std::max<size_t>(1, (v.channels.size() + per_page - 1) / per_page);
  const size_t requested = page;
  page = std::clamp<size_t>(page, 1, pages);
  out += "<h2>Channels (page " + std::to_string(page) + " of " + std::to_string(pages) + ")</h2>";
  if (requested > pages) {
    out += "<p>There is no page " + std::to_string(requested) + "; this is the last page.</p>";
  }
  out += Head({"channel", "members", "clients", "fetch", "last success"});
  const size_t first = (page - 1) * per_page;
  for (size_t i = first; i < std::min(v.channels.size(), first + per_page); ++i) {
    const StatusChannel& c = v.channels[i];
    out += std::string("<tr") + (c.stale ? " class=\"stale\"" : "") + "><td>" +
           EscapeCut(c.name, kNameCell) + "</td>" + Num(c.members) + Num(c.clients) +
           "<td class=\"k\">" + (c.stale ? "stale" : "ok") + "</td><td>" +
           Time(c.last_success_ms, v.now_ms) + "</td></tr>";
  }
  out += "</tbody></table><p>";
  auto link = [&](size_t to, const char* text) {
    out += "<a href=\"/?page=" + std::to_string(to) + "\">" + text + "</a> ";
  };
  if (page > 1) {
    link(1, "first");
    link(page - 1, "previous");
  }
  if (page < pages) {
    link(page + 1, "next");
    link(pages, "last");
  }
  out += "</p>";
}

}  // namespace

std::string RenderStatusPage(const StatusView& v, size_t page) {
  uint64_t stale = 0;
  for (const StatusChannel& c : v.channels) stale += c.stale;
  std::string out =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>presenced</title><style>";
  out += kStyle;
  out += "</style></head><body><header><h1>presenced</h1>";
  AppendState(out, v);
  out += "</header><main>";
  AppendGlance(out, v);
  AppendSinks(out, v);
  AppendStale(out, v, stale);
  AppendEvents(out, v);
  AppendChannels(out, v, page);
  out += "<h2>Config</h2><p><code>" + HtmlEscape(v.config) + "</code></p>";
  return out + "</main></body></html>\n";
}

}  // namespace presenced
