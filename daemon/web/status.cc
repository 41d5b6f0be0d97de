#include "web/status.h"

#include <algorithm>
#include <cstdio>

namespace presenced {
namespace {

// "1 channel", "2 channels".
std::string Counted(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Seconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", seconds);
  return buf;
}

std::string Ago(int64_t then_ms, int64_t now_ms) {
  if (then_ms == 0) return "never";
  return Seconds(static_cast<double>(now_ms - then_ms) / 1000.0) + "s ago";
}

void AppendChannelJson(std::string& out, const ChannelStatus& c) {
  out += "{\"name\":";
  AppendJsonString(out, c.name);
  out += ",\"members\":" + std::to_string(c.members) + ",\"clients\":" + std::to_string(c.clients) +
         ",\"stale\":" + (c.stale ? "true" : "false") +
         ",\"lastSuccess\":" + std::to_string(c.last_success_ms) + "}";
}

void AppendWebhookJson(std::string& out, const WebhookStatus& w) {
  out += "{\"name\":";
  AppendJsonString(out, w.name);
  out += ",\"pending\":" + std::to_string(w.pending) +
         ",\"oldestAgeSeconds\":" + Seconds(w.oldest_age_seconds) +
         ",\"deadLetters\":" + std::to_string(w.dead_letters) + ",\"lastError\":";
  AppendJsonString(out, w.last_error);
  out += "}";
}

constexpr const char* kStyle =
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f2f2f2}"
    ".stale{background:#fde2e2}.num{text-align:right}code{font-size:12px}";

}  // namespace

void StatusModel::SetSummary(std::string build, std::string config) {
  MutexLock lock(mu_);
  build_ = std::move(build);
  config_ = std::move(config);
}

void StatusModel::PublishChannels(std::vector<ChannelStatus> channels) {
  std::sort(channels.begin(), channels.end(),
            [](const ChannelStatus& a, const ChannelStatus& b) { return a.name < b.name; });
  MutexLock lock(mu_);
  channels_ = std::move(channels);
}

void StatusModel::AddEvents(const std::vector<Event>& events) {
  MutexLock lock(mu_);
  const size_t skip = events.size() > kRecentEvents ? events.size() - kRecentEvents : 0;
  for (size_t i = skip; i < events.size(); ++i) events_.push_back(events[i]);
  while (events_.size() > kRecentEvents) events_.pop_front();
}

std::string StatusModel::Json(int64_t now_ms) const {
  const std::vector<WebhookStatus> webhooks = webhooks_();
  MutexLock lock(mu_);
  std::string out = "{\"build\":";
  AppendJsonString(out, build_);
  out += ",\"config\":";
  AppendJsonString(out, config_);
  out += ",\"now\":" + std::to_string(now_ms) + ",\"channels\":[";
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (i > 0) out += ',';
    AppendChannelJson(out, channels_[i]);
  }
  out += "],\"webhooks\":[";
  for (size_t i = 0; i < webhooks.size(); ++i) {
    if (i > 0) out += ',';
    AppendWebhookJson(out, webhooks[i]);
  }
  out += "],\"events\":[";
  for (size_t i = 0; i < events_.size(); ++i) {
    if (i > 0) out += ',';
    out += EventToJson(events_[i]);
  }
  return out + "]}\n";
}

std::string StatusModel::Html(size_t page, int64_t now_ms) const {
  const std::vector<WebhookStatus> webhooks = webhooks_();
  MutexLock lock(mu_);
  uint64_t members = 0, stale = 0;
  for (const ChannelStatus& c : channels_) {
    members += c.members;
    stale += c.stale;
  }
  const size_t pages =
      std::max<size_t>(1, (channels_.size() + kChannelsPerPage - 1) / kChannelsPerPage);
  const size_t requested = page;
  page = std::clamp<size_t>(page, 1, pages);

  std::string out =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>presenced</title><style>";
  out += kStyle;
  out += "</style></head><body><h1>presenced</h1><p>" + HtmlEscape(build_) + "</p><p><code>" +
         HtmlEscape(config_) + "</code></p>";
  out += "<p>" + Counted(channels_.size(), "channel") + ", " + Counted(members, "member") + ", " +
         std::to_string(stale) +
         " stale. <a href=\"/metrics\">/metrics</a> · <a href=\"/api/v1/status\">/api/v1/status</a>"
         " · <a href=\"/-/ready\">/-/ready</a></p>";

  out +=
      "<h2>Webhooks</h2><table><tr><th>webhook</th><th>pending</th><th>oldest</th>"
      "<th>dead letters</th><th>last error</th></tr>";
  for (const WebhookStatus& w : webhooks) {
    out += "<tr><td>" + HtmlEscape(w.name) + "</td><td class=\"num\">" + std::to_string(w.pending) +
           "</td><td class=\"num\">" + Seconds(w.oldest_age_seconds) + "s</td><td class=\"num\">" +
           std::to_string(w.dead_letters) + "</td><td>" + HtmlEscape(w.last_error) + "</td></tr>";
  }
  out += "</table>";

  auto row = [&](const ChannelStatus& c) {
    out += std::string("<tr") + (c.stale ? " class=\"stale\"" : "") + "><td>" + HtmlEscape(c.name) +
           "</td><td class=\"num\">" + std::to_string(c.members) + "</td><td class=\"num\">" +
           std::to_string(c.clients) + "</td><td>" + (c.stale ? "stale" : "ok") + "</td><td>" +
           Ago(c.last_success_ms, now_ms) + "</td></tr>";
  };
  const char* header =
      "<table><tr><th>channel</th><th>members</th><th>clients</th><th>fetch</th>"
      "<th>last success</th></tr>";
  if (stale > 0) {
    out += "<h2>Stale channels (" +
           (stale > kChannelsPerPage ? "the first " + std::to_string(kChannelsPerPage) + " of " +
                                           std::to_string(stale) + " by name; all in /api/v1/status"
                                     : std::to_string(stale)) +
           ")</h2>";
    out += header;
    size_t shown = 0;
    for (const ChannelStatus& c : channels_) {
      if (c.stale && shown++ < kChannelsPerPage) row(c);
    }
    out += "</table>";
  }
  out += "<h2>Channels (page " + std::to_string(page) + " of " + std::to_string(pages) + ")</h2>";
  if (requested > pages) {
    out += "<p>There is no page " + std::to_string(requested) + "; this is the last page.</p>";
  }
  out += header;
  const size_t first = (page - 1) * kChannelsPerPage;
  for (size_t i = first; i < std::min(channels_.size(), first + kChannelsPerPage); ++i) {
    row(channels_[i]);
  }
  out += "</table><p>";
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
  out += "</p><h2>Recent events (last " + std::to_string(events_.size()) +
         ", newest first)</h2><table><tr><th>observed</th><th>channel</th><th>action</th>"
         "<th>clientId</th><th>connectionId</th></tr>";
  for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
    out += "<tr><td>" + Ago(it->observed_at, now_ms) + "</td><td>" + HtmlEscape(it->channel) +
           "</td><td>" + std::string(ActionName(it->action)) + "</td><td>" +
           HtmlEscape(it->client_id) + "</td><td>" + HtmlEscape(it->connection_id) + "</td></tr>";
  }
  return out + "</table></body></html>\n";
}

std::vector<WebhookStatus> ReadWebhookStatus(StateStore& store,
                                             const std::vector<WebhookConfig>& webhooks,
                                             int64_t now_ms) {
  std::vector<WebhookStatus> rows;
  for (const WebhookConfig& webhook : webhooks) {
    WebhookStatus row;
    row.name = webhook.name;
    auto backlog = store.GetBacklog(webhook.name);
    if (!backlog.ok()) {
      row.last_error = backlog.error().message;
      rows.push_back(std::move(row));
      continue;
    }
    row.pending = backlog->pending;
    row.dead_letters = backlog->dead_letters;
    if (backlog->oldest_created_ms) {
      row.oldest_age_seconds = static_cast<double>(now_ms - *backlog->oldest_created_ms) / 1000.0;
    }
    if (auto batch = store.CurrentBatch(webhook.name); batch.ok() && *batch) {
      row.last_error = (*batch)->last_error;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace presenced
