#pragma once

// StatusModel: what GET /api/v1/status (JSON) and GET / (HTML) show (CONTRACT §6): ready or not
// and why, uptime, the last cycle, the last hour (events per action, failed fetches per Ably
// error code, members and events per minute), build and config summary (secrets redacted by
// DescribeConfig), every channel with members, clients, stale flag, last success and last error,
// every sink (webhooks; any kind) with its backlog and last error, and the last 100 events, newest
// first in both. clientIds, connectionIds, member ids and data appear only with
// `http.status_members: true` (SetSummary); by default the events show channel and action only.
//
// Bounded for any input: every field the outside world controls is cut (status_text.h, with a
// marker) when stored, and again for the page, so the page stays under 256 KiB and memory does not
// follow the size of clientIds or data.
//
// The poll loop publishes channels, events and cycles into it; sink rows and readiness are pulled
// from `StatusInputs` when a page is rendered. Thread-safe: publishers and renderers may run on
// any thread.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "config/config.h"
#include "presence/event.h"
#include "state/state_store.h"
#include "web/status_history.h"
#include "web/status_text.h"

namespace presenced {

struct ChannelStatus {
  std::string name;
  uint64_t members = 0;
  uint64_t clients = 0;
  bool stale = false;
  int64_t last_success_ms = 0;  // 0 = never
  // The last failed fetch (since the start), whether or not a later one succeeded.
  int64_t last_error_ms = 0;  // 0 = none
  int last_error_code = 0;    // Ably's code (0: none given, e.g. a network error)
  std::string last_error;
};

// One sink's delivery backlog: a webhook, or any other kind (e.g. "kafka").
struct SinkStatus {
  std::string kind;  // "webhook", ...
  std::string name;
  uint64_t pending = 0;
  double oldest_age_seconds = 0;
  uint64_t dead_letters = 0;
  std::string last_error;  // of the batch in flight, "" when none failed
};

// A sink to read the backlog of (ReadSinkStatus).
struct SinkRef {
  std::string kind;
  std::string name;
};

// One finished poll cycle (committed or not), as the status page shows it.
struct CycleStatus {
  int64_t at_ms = 0;  // when it finished
  double seconds = 0;
  bool overrun = false;  // it took longer than poll.interval
  uint64_t channels = 0;
  uint64_t failed = 0;
  uint64_t members = 0;
  std::vector<ErrorCodeCount> errors;  // its failed fetches per Ably error code
};

// An event as the status model keeps it: fields clipped to StatusModel::kMaxFieldBytes (a clipped
// `data` is no longer JSON).
struct StatusEvent {
  Clipped id, channel, client_id, connection_id, member_id, data, encoding;
  Action action = Action::kEnter;
  int64_t timestamp = 0, observed_at = 0;
};

// A channel as the status model keeps it.
struct StatusChannel {
  Clipped name;
  uint64_t members = 0;
  uint64_t clients = 0;
  bool stale = false;
  int64_t last_success_ms = 0;
  int64_t last_error_ms = 0;
  int last_error_code = 0;
  Clipped last_error;
};

// What the model reads when it renders.
struct StatusInputs {
  std::function<std::vector<SinkStatus>()> sinks;
  std::function<std::optional<std::string>()> not_ready;  // nullopt: ready (GET /-/ready)
  int64_t started_ms = 0;                                 // for the uptime
};

class StatusModel {
 public:
  static constexpr size_t kRecentEvents = 100;
  static constexpr size_t kChannelsPerPage = 100;
  // The largest field kept (bytes); longer ones are cut with a marker, in the JSON too.
  static constexpr size_t kMaxFieldBytes = 256;

  explicit StatusModel(StatusInputs inputs) : inputs_(std::move(inputs)) {}

  // Sets the build line, the config summary and whether member identities are shown (after
  // start and every reload).
  void SetSummary(std::string build, std::string config, bool show_members);
  // Replaces the channel list (in any order; it is kept sorted by name).
  void PublishChannels(std::vector<ChannelStatus> channels);
  // Gives each row `rows` visits (in name order) to the channel of that name in place, with no
  // list built: true when they are exactly the channels last published. Else false, and some
  // rows may be updated: the caller publishes the list (PublishChannels). Called after every
  // cycle, usually for the same channels (100,000 channels: a list of 11 MB not built).
  using ChannelRows = std::function<void(const std::function<void(const ChannelStatus&)>&)>;
  bool UpdateChannels(const ChannelRows& rows);
  // Appends committed events (observed at `now_ms`), keeping the last kRecentEvents.
  void AddEvents(const std::vector<Event>& events, int64_t now_ms);
  // Records a finished cycle.
  void CycleFinished(const CycleStatus& cycle);

  // Returns the JSON document of GET /api/v1/status: every channel (by name), not paged, so that
  // one answer is one consistent picture (about 90 bytes a channel).
  std::string Json(int64_t now_ms) const;
  // Returns the HTML page of GET /: the state at a glance, the sinks, the first kChannelsPerPage
  // stale channels with why, the recent events, channels paged kChannelsPerPage at a time (`page`
  // from 1; past the last page: the last page, saying so). Its size does not grow with the
  // channel count or any field's size. No JavaScript.
  std::string Html(size_t page, int64_t now_ms) const;

 private:
  static StatusEvent Keep(const Event& event);
  static void AppendEventJson(std::string& out, const StatusEvent& e, bool members);
  void AppendSummaryJson(std::string& out, int64_t now_ms,
                         const std::optional<std::string>& not_ready) const REQUIRES(mu_);

  StatusInputs inputs_;
  // True when `channels` (sorted) has the names of channels_, in order (none of them cut).
  bool SameNames(const std::vector<ChannelStatus>& channels) const REQUIRES(mu_);
  // Sets `row`'s figures from `c` (same name).
  static void Update(StatusChannel& row, const ChannelStatus& c);

  mutable Mutex mu_;
  std::string build_ GUARDED_BY(mu_);
  std::string config_ GUARDED_BY(mu_);
  bool show_members_ GUARDED_BY(mu_) = false;
  std::vector<StatusChannel> channels_ GUARDED_BY(mu_);  // sorted by name
  std::deque<StatusEvent> events_ GUARDED_BY(mu_);       // newest first
  LastHour last_hour_ GUARDED_BY(mu_);
  std::optional<CycleStatus> last_cycle_ GUARDED_BY(mu_);
  uint64_t cycles_ GUARDED_BY(mu_) = 0;
  uint64_t overruns_ GUARDED_BY(mu_) = 0;
};

// Reads each sink's backlog and the last error of its batch in flight from the store (a sink
// whose rows cannot be read shows the store's error as its last error).
std::vector<SinkStatus> ReadSinkStatus(StateStore& store, const std::vector<SinkRef>& sinks,
                                       int64_t now_ms);

// Returns the webhooks of `config` as sinks of kind "webhook".
std::vector<SinkRef> WebhookSinks(const std::vector<WebhookConfig>& webhooks);
// Returns every sink of `config`: its webhooks, then its Kafka sinks (kind "kafka").
std::vector<SinkRef> ConfiguredSinks(const Config& config);

}  // namespace presenced
