#include "web/status.h"

#include <algorithm>
#include <cstdio>

#include "web/status_page.h"
#include "web/status_text.h"

namespace presenced {
namespace {

// The config summary is bounded too: it names every webhook's host.
constexpr size_t kMaxSummaryBytes = 2048;
// An Ably error message kept per code for the last hour.
constexpr size_t kMaxMessageBytes = 160;

// Returns seconds with three decimals ("0.234").
std::string Millis(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  return buf;
}

void AppendCut(std::string& out, std::string_view text) {
  AppendJsonString(out, Cut(text, StatusModel::kMaxFieldBytes));
}

void AppendClipped(std::string& out, const Clipped& text) { AppendJsonString(out, Whole(text)); }

void AppendChannelJson(std::string& out, const StatusChannel& c) {
  out += "{\"name\":";
  AppendClipped(out, c.name);
  out += ",\"members\":" + std::to_string(c.members) + ",\"clients\":" + std::to_string(c.clients) +
         ",\"stale\":" + (c.stale ? "true" : "false") +
         ",\"lastSuccess\":" + std::to_string(c.last_success_ms);
  // Only after a failure: 10,000 channels that never failed stay under 1 MiB.
  if (c.last_error_ms != 0) {
    out += ",\"lastError\":";
    AppendClipped(out, c.last_error);
    out += ",\"lastErrorCode\":" + std::to_string(c.last_error_code) +
           ",\"lastErrorAt\":" + std::to_string(c.last_error_ms);
  }
  out += '}';
}

void AppendSinkJson(std::string& out, const SinkStatus& s, bool with_kind) {
  out += '{';
  if (with_kind) {
    out += "\"kind\":";
    AppendJsonString(out, s.kind);
    out += ',';
  }
  out += "\"name\":";
  AppendCut(out, s.name);
  out += ",\"pending\":" + std::to_string(s.pending) +
         ",\"oldestAgeSeconds\":" + OneDecimal(s.oldest_age_seconds) +
         ",\"deadLetters\":" + std::to_string(s.dead_letters) + ",\"lastError\":";
  AppendCut(out, s.last_error);
  out += '}';
}

void AppendLastHourJson(std::string& out, const LastHour& hour, int64_t now_ms) {
  out += "\"lastHour\":{\"events\":{";
  bool first = true;
  for (const auto& [action, count] : hour.EventsByAction(now_ms)) {
    if (!first) out += ',';
    first = false;
    out += '"' + std::string(ActionName(action)) + "\":" + std::to_string(count);
  }
  out += "},\"ablyErrors\":[";
  first = true;
  for (const ErrorCodeCount& error : hour.ErrorsByCode(now_ms)) {
    if (!first) out += ',';
    first = false;
    out += "{\"code\":" + std::to_string(error.code) + ",\"count\":" + std::to_string(error.count) +
           ",\"message\":";
    AppendJsonString(out, error.message);
    out += '}';
  }
  out += "],\"perMinute\":[";
  first = true;
  for (const LastHour::Minute& m : hour.Minutes(now_ms)) {
    if (!first) out += ',';
    first = false;
    out += "{\"minute\":" + std::to_string(m.start_ms) +
           ",\"members\":" + (m.sampled ? std::to_string(m.members) : "null") +
           ",\"events\":" + std::to_string(m.events) + '}';
  }
  out += "]}";
}

}  // namespace

void StatusModel::SetSummary(std::string build, std::string config, bool show_members) {
  config = Cut(config, kMaxSummaryBytes);
  MutexLock lock(mu_);
  build_ = std::move(build);
  config_ = std::move(config);
  show_members_ = show_members;
}

bool StatusModel::SameNames(const std::vector<ChannelStatus>& channels) const {
  if (channels.size() != channels_.size()) return false;
  for (size_t i = 0; i < channels.size(); ++i) {
    const Clipped& name = channels_[i].name;
    if (name.cut() || channels[i].name != name.text) return false;
  }
  return true;
}

void StatusModel::Update(StatusChannel& row, const ChannelStatus& c) {
  row.members = c.members;
  row.clients = c.clients;
  row.stale = c.stale;
  row.last_success_ms = c.last_success_ms;
  row.last_error_ms = c.last_error_ms;
  row.last_error_code = c.last_error_code;
  if (row.last_error.cut() || c.last_error != row.last_error.text) {
    row.last_error = Clip(c.last_error, kMaxFieldBytes);
  }
}

bool StatusModel::UpdateChannels(const ChannelRows& rows) {
  MutexLock lock(mu_);
  size_t next = 0;
  bool same = true;
  rows([&](const ChannelStatus& c) REQUIRES(mu_) {
    if (!same) return;
    same = next < channels_.size() && !channels_[next].name.cut() &&
           c.name == channels_[next].name.text;
    if (same) Update(channels_[next++], c);
  });
  return same && next == channels_.size();
}

void StatusModel::PublishChannels(std::vector<ChannelStatus> channels) {
  // Sorted by the whole name, so that clipped names keep their order.
  const auto by_name = [](const ChannelStatus& a, const ChannelStatus& b) {
    return a.name < b.name;
  };
  if (!std::is_sorted(channels.begin(), channels.end(), by_name)) {
    std::sort(channels.begin(), channels.end(), by_name);
  }
  {
    // Published after every cycle, usually for the same channels: then the rows are updated in
    // place, with no second copy of them (100,000 channels: 11 MB).
    MutexLock lock(mu_);
    if (SameNames(channels)) {
      for (size_t i = 0; i < channels.size(); ++i) Update(channels_[i], channels[i]);
      return;
    }
  }
  std::vector<StatusChannel> kept;
  kept.reserve(channels.size());
  for (const ChannelStatus& c : channels) {
    kept.push_back({Clip(c.name, kMaxFieldBytes), c.members, c.clients, c.stale, c.last_success_ms,
                    c.last_error_ms, c.last_error_code, Clip(c.last_error, kMaxFieldBytes)});
  }
  MutexLock lock(mu_);
  channels_ = std::move(kept);
}

StatusEvent StatusModel::Keep(const Event& event) {
  StatusEvent e;
  e.id = Clip(event.id, kMaxFieldBytes);
  e.channel = Clip(event.channel, kMaxFieldBytes);
  e.client_id = Clip(event.client_id, kMaxFieldBytes);
  e.connection_id = Clip(event.connection_id, kMaxFieldBytes);
  e.member_id = Clip(event.member_id, kMaxFieldBytes);
  e.data = Clip(event.data, kMaxFieldBytes);
  e.encoding = Clip(event.encoding, kMaxFieldBytes);
  e.action = event.action;
  e.timestamp = event.timestamp;
  e.observed_at = event.observed_at;
  return e;
}

void StatusModel::AddEvents(const std::vector<Event>& events, int64_t now_ms) {
  std::map<Action, uint64_t> by_action;
  for (const Event& event : events) ++by_action[event.action];
  // Only the newest kRecentEvents are copied (cut) at all.
  const size_t skip = events.size() > kRecentEvents ? events.size() - kRecentEvents : 0;
  std::vector<StatusEvent> kept;
  kept.reserve(events.size() - skip);
  for (size_t i = skip; i < events.size(); ++i) kept.push_back(Keep(events[i]));
  MutexLock lock(mu_);
  for (const auto& [action, count] : by_action) last_hour_.AddEvents(now_ms, action, count);
  for (StatusEvent& e : kept) events_.push_front(std::move(e));
  while (events_.size() > kRecentEvents) events_.pop_back();
}

void StatusModel::CycleFinished(const CycleStatus& cycle) {
  CycleStatus kept = cycle;
  for (ErrorCodeCount& error : kept.errors) error.message = Cut(error.message, kMaxMessageBytes);
  MutexLock lock(mu_);
  ++cycles_;
  overruns_ += kept.overrun;
  last_hour_.AddCycle(kept.at_ms, kept.members, kept.errors);
  last_cycle_ = std::move(kept);
}

void StatusModel::AppendEventJson(std::string& out, const StatusEvent& e, bool members) {
  out += "{\"id\":";
  AppendClipped(out, e.id);
  out += ",\"channel\":";
  AppendClipped(out, e.channel);
  out += ",\"action\":\"" + std::string(ActionName(e.action)) + '"';
  if (members) {
    out += ",\"clientId\":";
    AppendClipped(out, e.client_id);
    out += ",\"connectionId\":";
    AppendClipped(out, e.connection_id);
    out += ",\"memberId\":";
    AppendClipped(out, e.member_id);
    if (e.data.size > 0) {
      out += ",\"data\":";
      if (e.data.cut()) {
        AppendClipped(out, e.data);  // cut JSON is not JSON: a string with the marker
      } else {
        out += e.data.text;
      }
    }
    if (e.encoding.size > 0) {
      out += ",\"encoding\":";
      AppendClipped(out, e.encoding);
    }
  }
  out += ",\"timestamp\":" + std::to_string(e.timestamp) +
         ",\"observedAt\":" + std::to_string(e.observed_at) + '}';
}

void StatusModel::AppendSummaryJson(std::string& out, int64_t now_ms,
                                    const std::optional<std::string>& not_ready) const {
  out += "\"ready\":";
  out += not_ready ? "false" : "true";
  out += ",\"notReady\":";
  AppendJsonString(out, not_ready.value_or(""));
  out += ",\"startedAt\":" + std::to_string(inputs_.started_ms) +
         ",\"uptimeSeconds\":" + std::to_string((now_ms - inputs_.started_ms) / 1000) +
         ",\"statusMembers\":" + (show_members_ ? "true" : "false") + ",\"lastCycle\":";
  if (last_cycle_) {
    out += "{\"at\":" + std::to_string(last_cycle_->at_ms) +
           ",\"durationSeconds\":" + Millis(last_cycle_->seconds) +
           ",\"overrun\":" + (last_cycle_->overrun ? "true" : "false") +
           ",\"channels\":" + std::to_string(last_cycle_->channels) +
           ",\"failed\":" + std::to_string(last_cycle_->failed) + '}';
  } else {
    out += "null";
  }
  out +=
      ",\"cycles\":" + std::to_string(cycles_) + ",\"overruns\":" + std::to_string(overruns_) + ',';
  AppendLastHourJson(out, last_hour_, now_ms);
}

std::string StatusModel::Json(int64_t now_ms) const {
  const std::vector<SinkStatus> sinks = inputs_.sinks ? inputs_.sinks() : std::vector<SinkStatus>{};
  const std::optional<std::string> not_ready =
      inputs_.not_ready ? inputs_.not_ready() : std::nullopt;
  MutexLock lock(mu_);
  std::string out = "{\"build\":";
  AppendJsonString(out, build_);
  out += ",\"config\":";
  AppendJsonString(out, config_);
  out += ",\"now\":" + std::to_string(now_ms) + ',';
  AppendSummaryJson(out, now_ms, not_ready);
  out += ",\"channels\":[";
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (i > 0) out += ',';
    AppendChannelJson(out, channels_[i]);
  }
  out += "],\"sinks\":[";
  for (size_t i = 0; i < sinks.size(); ++i) {
    if (i > 0) out += ',';
    AppendSinkJson(out, sinks[i], true);
  }
  // The webhooks again, as before sinks had kinds.
  out += "],\"webhooks\":[";
  bool first = true;
  for (const SinkStatus& sink : sinks) {
    if (sink.kind != "webhook") continue;
    if (!first) out += ',';
    first = false;
    AppendSinkJson(out, sink, false);
  }
  out += "],\"events\":[";
  for (size_t i = 0; i < events_.size(); ++i) {
    if (i > 0) out += ',';
    AppendEventJson(out, events_[i], show_members_);
  }
  return out + "]}\n";
}

std::string StatusModel::Html(size_t page, int64_t now_ms) const {
  std::vector<SinkStatus> sinks = inputs_.sinks ? inputs_.sinks() : std::vector<SinkStatus>{};
  std::optional<std::string> not_ready = inputs_.not_ready ? inputs_.not_ready() : std::nullopt;
  MutexLock lock(mu_);
  const StatusView view{build_,
                        config_,
                        show_members_,
                        std::move(not_ready),
                        inputs_.started_ms,
                        now_ms,
                        last_cycle_,
                        cycles_,
                        overruns_,
                        channels_,
                        events_,
                        last_hour_.Minutes(now_ms),
                        last_hour_.EventsByAction(now_ms),
                        last_hour_.ErrorsByCode(now_ms),
                        std::move(sinks)};
  return RenderStatusPage(view, page);
}

std::vector<SinkRef> WebhookSinks(const std::vector<WebhookConfig>& webhooks) {
  std::vector<SinkRef> sinks;
  for (const WebhookConfig& webhook : webhooks) sinks.push_back({"webhook", webhook.name});
  return sinks;
}

std::vector<SinkRef> ConfiguredSinks(const Config& config) {
  std::vector<SinkRef> sinks = WebhookSinks(config.webhooks);
  for (const KafkaConfig& kafka : config.kafka) sinks.push_back({"kafka", kafka.name});
  return sinks;
}

std::vector<SinkStatus> ReadSinkStatus(StateStore& store, const std::vector<SinkRef>& sinks,
                                       int64_t now_ms) {
  std::vector<SinkStatus> rows;
  for (const SinkRef& sink : sinks) {
    SinkStatus row;
    row.kind = sink.kind;
    row.name = sink.name;
    auto backlog = store.GetBacklog(sink.name);
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
    if (auto batch = store.CurrentBatch(sink.name); batch.ok() && *batch) {
      row.last_error = (*batch)->last_error;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace presenced
