#include "ably/rest_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ably/capability_advice.h"
#include "ably/channel_list_parser.h"
#include "ably/history_reader.h"
#include "ably/parser_pool.h"
#include "ably/rest_request.h"
#include "ably/transport.h"
#include "common/log_fields.h"
#include "common/mutex.h"
#include "common/worker_pool.h"

namespace presenced {
namespace {

// Bounds of one paged read (PageWalk): a channel's members (20,000 at most on Ably's biggest
// plans, 1,000 a page) and an enumeration's names.
constexpr int kMaxPresencePages = 100;
constexpr uint64_t kMaxPresenceReadBytes = 512ull << 20;
constexpr int kMaxEnumerationPages = 1000;
constexpr uint64_t kMaxEnumerationBytes = 256ull << 20;
constexpr size_t kMaxUriBytes = 8 * 1024;  // longer request URIs are refused by Ably's edge
constexpr int kTooManyChannels = 90010;
constexpr int kEnumerationBusy = 42912;
constexpr int kPaginationInvalid = 40011;
constexpr int kMaxBusyRetries = 4;
constexpr int kMaxEnumerationRestarts = 3;
constexpr std::chrono::milliseconds kBusyBaseDelay{500};
constexpr int kPageLimit = 1000;  // members per page of the per-channel endpoint (Ably's max)
// A history read is refused this long before its start leaves Ably's retention: the offset to
// Ably's clock is known to within about half a round trip, and Ably needs a moment to serve it.
constexpr int64_t kRetentionMarginMs = 1'000;
// A cycle with more requests than max_in_flight starts them evenly over the first 1/kSpreadShare
// of poll.interval rather than back to back: Ably's limits are per second, so a burst of a
// thousand requests trips them where the same requests spread out do not. The rest of the
// interval is headroom, so the last requests still end before the next cycle's slot.
constexpr int kSpreadShare = 2;

std::string Describe(const AblyAnswer& answer) {
  if (answer.kind != AblyAnswer::Kind::kResponse) return answer.error.message;
  return "HTTP " + std::to_string(answer.response.status) + ", code " +
         std::to_string(answer.error.code) + ": " + answer.error.message;
}

using Indices = std::vector<size_t>;

// A fetch thread keeps the storage of its last batch answer for the next one (no allocation, no
// fresh pages to fault in, for a body of the usual size, ably.batch_response_bytes); a body over
// this is given back instead, so one big answer does not pin memory for the life of the thread.
constexpr size_t kKeepBodyCapacity = 8 << 20;

std::string& ThreadSpareBody() {
  thread_local std::string spare;
  return spare;
}

// Keeps `body`'s storage as the calling thread's spare when it is not over kKeepBodyCapacity.
void KeepSpareBody(std::string&& body) {
  if (body.capacity() > kKeepBodyCapacity) return;
  if (body.capacity() > ThreadSpareBody().capacity()) ThreadSpareBody().swap(body);
}

class AblyRestClient final : public PresenceSource {
 public:
  AblyRestClient(const AblyConfig& config, HttpClient& http, Metrics& metrics, const Clock& clock,
                 Random& random, std::unique_ptr<AblyAuth> owned, AblyAuth& auth)
      : config_(config),
        metrics_(metrics),
        clock_(clock),
        random_(random),
        owned_auth_(std::move(owned)),
        transport_(config, http, metrics, clock, random, auth),
        batch_size_(static_cast<size_t>(std::max(1, config.max_channels_per_request))),
        parsers_(ParsersFor(static_cast<size_t>(std::max(1, config.max_in_flight)),
                            std::thread::hardware_concurrency())) {}

  void StreamPresence(const std::vector<std::string>& channels, const std::atomic<bool>& cancel,
                      const ChannelConsumer& consume) override;
  void StreamPresenceViews(const std::vector<std::string>& channels,
                           const std::atomic<bool>& cancel,
                           const ChannelViewConsumer& consume) override;
  void StreamHistory(const std::vector<HistoryRequest>& requests, const std::atomic<bool>& cancel,
                     const HistoryConsumer& consume) override;
  Result<std::vector<std::string>> ListChannels(const std::string& prefix,
                                                const std::atomic<bool>& cancel) override;
  using PresenceSource::ListChannels;
  std::optional<int64_t> ServerNowMs() const override { return clock_.NowMs(); }
  void SetPollInterval(std::chrono::milliseconds interval) override {
    spread_ms_ = interval.count() / kSpreadShare;
  }

 private:
  struct Job {
    Indices indices;
    bool paged = false;
    bool probe = false;  // taken while no size was known: the others wait for its answer
    size_t slot = 0;     // the cycle's requests in the order they are taken, from 0
  };
  // One StreamPresenceViews call: which channels went to the consumer. A batch answer's channels
  // go as views of its body; failures and paged reads as a job's results (Batch).
  struct Stream {
    std::vector<char> handed_over;  // one writer per element
    const ChannelViewConsumer& consume;

    void HandOver(size_t i, const ChannelPresenceView& view) {
      consume(i, view);
      handed_over[i] = 1;
    }
    // Hands over `result` as channel i's outcome and releases its members. A channel that got no
    // outcome (no error set) was not fetched because of a cancel.
    void HandOver(size_t i, ChannelPresence& result) {
      if (!result.ok && result.error.message.empty() && result.error.code == 0 &&
          result.error.status_code == 0) {
        result.error.message = "not fetched: cancelled";
      }
      HandOver(i, ViewOf(result));
      std::vector<Member>().swap(result.members);
    }
  };
  // Some of a job's channels: their positions in the cycle's list and their outcomes, held only
  // for the job (a cycle holds no per-channel record of its own).
  struct Batch {
    std::span<const size_t> indices;
    std::span<ChannelPresence> results;  // results[k]: channel indices[k], its name set

    size_t size() const { return indices.size(); }
    Batch First(size_t n) const { return {indices.first(n), results.first(n)}; }
    Batch Rest(size_t n) const { return {indices.subspan(n), results.subspan(n)}; }
  };
  // Where a cycle's planning stands: channels [0, next) are taken.
  struct Plan {
    Mutex mu;
    std::condition_variable probed;  // the probe finished
    size_t next GUARDED_BY(mu) = 0;
    size_t taken GUARDED_BY(mu) = 0;  // requests taken so far
    bool probe_running GUARDED_BY(mu) = false;
  };
  // When a cycle's requests may start: request k no earlier than start + min(k * step, spread).
  struct Pace {
    std::chrono::steady_clock::time_point start;
    std::chrono::nanoseconds step{0};  // 0: back to back
    std::chrono::nanoseconds spread{0};
  };
  // Takes the next request of the cycle (empty once every channel is taken). Planned when a fetch
  // thread is free, so it uses the sizes of the answers that arrived meanwhile. While no size is
  // known (a start), the first request goes alone, planned by count, and the next ones wait for
  // its answer: its sizes then plan them (call FinishProbe after it).
  Job TakeJob(const std::vector<std::string>& channels, Plan& plan) const;
  static void FinishProbe(Plan& plan);
  // Paces a cycle of `channels`: its requests spread over the first part of poll.interval when
  // it is expected to make more of them than max_in_flight (planned as TakeJob will: by count,
  // and by the known sizes), else back to back.
  Pace PaceFor(const std::vector<std::string>& channels) const;
  // Waits until `job`'s start under `pace`; false when cancelled meanwhile.
  bool AwaitSlot(const Pace& pace, const Job& job, const std::atomic<bool>& cancel) const;
  // Remembers the size of each channel's part of a batch answer of `body_bytes`.
  void RememberSizes(const BatchPresenceViews& parsed, size_t body_bytes);
  // Forgets the sizes of channels that are no longer polled (removed, or gone from discovery).
  void ForgetSizesNotIn(const std::vector<std::string>& channels);
  void FetchBatch(Batch batch, Stream& stream, const std::atomic<bool>& cancel);
  void Split(Batch batch, const std::string& why, Stream& stream, const std::atomic<bool>& cancel);
  void FetchPaged(const std::string& channel, ChannelPresence& out,
                  const std::atomic<bool>& cancel);
  // Gives each channel of `batch` its result from `parsed`, records the failures, and hands the
  // channels that are ok to the consumer (the others are handed over after).
  void HandOverResults(const BatchPresenceViews& parsed, Batch batch, const std::string& host,
                       Stream& stream);
  // Counts the failed channels in the metrics and turns a missing capability into advice (logged
  // once per channel); logs the other per-channel failures unless the request as a whole failed
  // (already logged). Billable members are counted where the answers arrive.
  void Record(std::span<ChannelPresence> results, const std::string& host, bool request_failed);
  // The SendCheck of a history read: refuses it once its start has left Ably's retention.
  SendCheck RetentionCheck(const HistoryRequest& request) const;
  // Waits a jittered delay before retrying a busy enumeration; false when cancelled.
  bool SleepBeforeRetry(int retry, const std::atomic<bool>& cancel);

  const AblyConfig config_;
  Metrics& metrics_;
  const Clock& clock_;
  Random& random_;                        // enumeration retry jitter
  std::unique_ptr<AblyAuth> owned_auth_;  // set when no AblyAuth was passed in
  AblyTransport transport_;
  // The fetch threads, kept across cycles with their parser buffers (max_in_flight at most).
  WorkerPool pool_;
  std::atomic<size_t> batch_size_;  // channels per batch request; shrinks when answers are big
  ParserPool parsers_;              // batch answers are parsed (and diffed) with these
  mutable Mutex paged_mu_;
  // Channels too big for a batch: read page by page.
  std::set<std::string> paged_ GUARDED_BY(paged_mu_);
  // Each channel's share of its last batch answer, in bytes, for ably.batch_response_bytes.
  std::unordered_map<std::string, uint64_t> sizes_ GUARDED_BY(paged_mu_);
  uint64_t sizes_total_ GUARDED_BY(paged_mu_) = 0;  // the sum of sizes_
  // ForgetSizesNotIn's last list, hashed: sizes_ holds none but its channels.
  size_t sizes_fingerprint_ GUARDED_BY(paged_mu_) = 0;
  CapabilityNotices notices_;          // each missing capability logged once per channel
  std::atomic<int64_t> spread_ms_{0};  // poll.interval / kSpreadShare; 0 = not paced
};

AblyRestClient::Job AblyRestClient::TakeJob(const std::vector<std::string>& channels,
                                            Plan& plan) const {
  const size_t per_request = batch_size_.load();
  const uint64_t budget = config_.batch_response_bytes;
  MutexLock plan_lock(plan.mu);
  plan.probed.wait(plan_lock.native(), [&]() REQUIRES(plan.mu) { return !plan.probe_running; });
  MutexLock lock(paged_mu_);
  Job job;
  job.probe = budget > 0 && sizes_.empty() && plan.next < channels.size();
  plan.probe_running = job.probe;
  // A channel not answered before is expected to be of the average size.
  const uint64_t average = sizes_.empty() ? 0 : sizes_total_ / sizes_.size();
  uint64_t bytes = 0;
  if (plan.next < channels.size()) job.slot = plan.taken++;
  for (; plan.next < channels.size(); ++plan.next) {
    const std::string& name = channels[plan.next];
    if (paged_.contains(name)) {
      if (!job.indices.empty()) break;  // a paged channel is a request of its own
      job.indices.push_back(plan.next++);
      job.paged = true;
      return job;
    }
    const auto known = sizes_.find(name);
    const uint64_t size = known != sizes_.end() ? known->second : average;
    if (!job.indices.empty() && budget > 0 && bytes + size > budget) break;
    job.indices.push_back(plan.next);
    bytes += size;
    if (job.indices.size() == per_request) {
      ++plan.next;
      break;
    }
  }
  return job;
}

void AblyRestClient::FinishProbe(Plan& plan) {
  {
    MutexLock lock(plan.mu);
    plan.probe_running = false;
  }
  plan.probed.notify_all();
}

AblyRestClient::Pace AblyRestClient::PaceFor(const std::vector<std::string>& channels) const {
  Pace pace;
  pace.start = clock_.SteadyNow();
  const int64_t spread_ms = spread_ms_.load();
  if (spread_ms <= 0 || channels.empty()) return pace;
  const size_t per_request = batch_size_.load();
  size_t requests = (channels.size() + per_request - 1) / per_request;
  {
    MutexLock lock(paged_mu_);
    const uint64_t budget = config_.batch_response_bytes;
    if (budget > 0 && !sizes_.empty()) {
      const uint64_t expected = sizes_total_ / sizes_.size() * channels.size();
      requests = std::max<size_t>(requests, expected / budget + 1);
    }
  }
  if (requests <= static_cast<size_t>(std::max(1, config_.max_in_flight))) return pace;
  pace.spread = std::chrono::milliseconds(spread_ms);
  pace.step = pace.spread / requests;
  return pace;
}

bool AblyRestClient::AwaitSlot(const Pace& pace, const Job& job,
                               const std::atomic<bool>& cancel) const {
  if (pace.step.count() == 0 || job.slot == 0) return true;
  const auto offset = std::min<std::chrono::nanoseconds>(pace.step * job.slot, pace.spread);
  return clock_.SleepUntil(
      pace.start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(offset), cancel);
}

void AblyRestClient::RememberSizes(const BatchPresenceViews& parsed, size_t body_bytes) {
  // Each channel's share of the body, in proportion to its members (+1 for the entry itself).
  uint64_t weight = 0;
  for (const ChannelPresenceView& channel : parsed.channels) weight += channel.members.size() + 1;
  if (weight == 0) return;
  MutexLock lock(paged_mu_);
  for (const ChannelPresenceView& channel : parsed.channels) {
    const uint64_t size = body_bytes * (channel.members.size() + 1) / weight;
    auto [it, inserted] = sizes_.try_emplace(std::string(channel.channel), size);
    if (!inserted) {
      sizes_total_ -= it->second;
      it->second = size;
    }
    sizes_total_ += size;
  }
}

void AblyRestClient::ForgetSizesNotIn(const std::vector<std::string>& channels) {
  // The list is the same from cycle to cycle but for a reload or a discovery: a fingerprint of it
  // (a hash per name, no allocation) saves building a set of every name each cycle.
  size_t fingerprint = channels.size();
  for (const std::string& name : channels) {
    fingerprint = fingerprint * 1'000'003 ^ std::hash<std::string_view>{}(name);
  }
  MutexLock lock(paged_mu_);
  if (sizes_.empty() || fingerprint == sizes_fingerprint_) return;
  sizes_fingerprint_ = fingerprint;
  const std::unordered_set<std::string_view> polled(channels.begin(), channels.end());
  std::erase_if(sizes_, [&](const auto& entry) REQUIRES(paged_mu_) {
    if (polled.contains(entry.first)) return false;
    sizes_total_ -= entry.second;
    return true;
  });
}

void AblyRestClient::StreamPresence(const std::vector<std::string>& channels,
                                    const std::atomic<bool>& cancel,
                                    const ChannelConsumer& consume) {
  StreamPresenceViews(channels, cancel, [&consume](size_t i, const ChannelPresenceView& view) {
    consume(i, ToOwned(view));
  });
}

void AblyRestClient::StreamPresenceViews(const std::vector<std::string>& channels,
                                         const std::atomic<bool>& cancel,
                                         const ChannelViewConsumer& consume) {
  Stream stream{std::vector<char>(channels.size(), 0), consume};
  ForgetSizesNotIn(channels);
  // Every request takes at least one channel, so there are at most as many as channels; a slot
  // that finds nothing left to take returns at once.
  Plan plan;
  const Pace pace = PaceFor(channels);
  pool_.Run(channels.size(), static_cast<size_t>(config_.max_in_flight), cancel, [&](size_t) {
    const Job job = TakeJob(channels, plan);
    if (job.indices.empty()) return;
    if (!AwaitSlot(pace, job, cancel)) {  // its channels are handed over below, as cancelled
      if (job.probe) FinishProbe(plan);
      return;
    }
    std::vector<ChannelPresence> results(job.indices.size());
    for (size_t k = 0; k < results.size(); ++k) results[k].channel = channels[job.indices[k]];
    if (job.paged) {
      FetchPaged(results.front().channel, results.front(), cancel);
      Record(results, config_.endpoint, !results.front().ok);
    } else {
      FetchBatch({job.indices, results}, stream, cancel);
    }
    // Its sizes are known now (or it failed: then the next request probes again).
    if (job.probe) FinishProbe(plan);
    // What was not handed over as it was parsed, releasing its members: only the responses in
    // flight are ever held.
    for (size_t k = 0; k < results.size(); ++k) {
      if (!stream.handed_over[job.indices[k]]) stream.HandOver(job.indices[k], results[k]);
    }
  });
  for (size_t i = 0; i < channels.size(); ++i) {
    if (stream.handed_over[i]) continue;
    ChannelPresence cancelled;  // before it was fetched
    cancelled.channel = channels[i];
    stream.HandOver(i, cancelled);
  }
}

void AblyRestClient::StreamHistory(const std::vector<HistoryRequest>& requests,
                                   const std::atomic<bool>& cancel,
                                   const HistoryConsumer& consume) {
  std::vector<char> handed_over(requests.size(), 0);  // one writer per element
  pool_.Run(requests.size(), static_cast<size_t>(config_.max_in_flight), cancel, [&](size_t i) {
    ChannelHistory history =
        ReadHistory(transport_, metrics_, requests[i], cancel, RetentionCheck(requests[i]));
    if (!history.ok && IsCapabilityError(history.error)) {
      history.error.message =
          CapabilityAdvice(AblyOperation::kHistory, requests[i].channel, history.error);
      notices_.Note(AblyOperation::kHistory, requests[i].channel, history.error.message);
    }
    consume(i, history);
    handed_over[i] = 1;
  });
  for (size_t i = 0; i < requests.size(); ++i) {
    if (handed_over[i]) continue;  // cancelled before it started
    ChannelHistory cancelled;
    cancelled.channel = requests[i].channel;
    cancelled.error.message = "not fetched: cancelled";
    consume(i, cancelled);
  }
}

SendCheck AblyRestClient::RetentionCheck(const HistoryRequest& request) const {
  if (request.retention_ms <= 0) return {};
  return [this, &request]() -> std::optional<AblyError> {
    const int64_t age = clock_.NowMs() - request.start_ms;
    if (age + kRetentionMarginMs <= request.retention_ms) return std::nullopt;
    return AblyError{0, 0,
                     "not read: the window starts " + std::to_string(age / 1000) +
                         "s ago on Ably's clock, past presence.history_retention (" +
                         std::to_string(request.retention_ms / 1000) + "s)"};
  };
}

void AblyRestClient::FetchBatch(Batch batch, Stream& stream, const std::atomic<bool>& cancel) {
  std::vector<std::string> names;
  names.reserve(batch.size());
  for (const ChannelPresence& result : batch.results) names.push_back(result.channel);
  auto fail_all = [&](const AblyError& error) {
    for (ChannelPresence& result : batch.results) {
      result.ok = false;
      result.members.clear();
      result.error = error;
    }
  };
  const std::optional<std::string> query = BatchPresenceQuery(names);
  if (!query) {
    fail_all({0, 0, "no separator character is free for these channel names"});
    spdlog::warn("Ably batch presence: no separator character is free for {} channel names",
                 batch.size());
    Record(batch.results, config_.endpoint, true);
    return;
  }
  const std::string target = transport_.base_path() + "/presence?" + *query;
  if (target.size() > kMaxUriBytes && batch.size() > 1) {
    return Split(batch, "has a request URI over 8 KiB", stream, cancel);
  }
  AblyAnswer answer = transport_.Get(target, cancel, {}, &ThreadSpareBody());
  if (answer.kind == AblyAnswer::Kind::kCancelled) return;
  const bool refused_as_too_big =
      answer.kind == AblyAnswer::Kind::kResponse &&
      ((answer.response.status == 400 && answer.error.code == kTooManyChannels) ||
       answer.response.status == 414);
  if (answer.kind == AblyAnswer::Kind::kTooLarge || refused_as_too_big) {
    if (batch.size() > 1) {
      const std::string why = answer.kind == AblyAnswer::Kind::kTooLarge
                                  ? "answered more than ably.max_response_bytes"
                                  : "was refused as too big (" + Describe(answer) + ")";
      return Split(batch, why, stream, cancel);
    }
    if (answer.kind == AblyAnswer::Kind::kTooLarge) {
      {
        MutexLock lock(paged_mu_);
        paged_.insert(names.front());
      }
      spdlog::info(
          "Ably channel {} answers more than ably.max_response_bytes alone; reading it "
          "page by page from now on",
          names.front());
      FetchPaged(names.front(), batch.results.front(), cancel);
      Record(batch.results, answer.host, !batch.results.front().ok);
      return;
    }
  }
  if (answer.kind != AblyAnswer::Kind::kResponse) {
    const LogFields fields{{"host", answer.host}};
    spdlog::warn("Ably batch presence of {} channels: {}", batch.size(), Describe(answer));
    fail_all(answer.error);
    Record(batch.results, answer.host, true);
    return;
  }
  const HttpResponse& response = answer.response;
  // The channels are diffed (handed over) while the body they view is alive.
  const ParserPool::Lease parser = parsers_.Take();
  ParseBatchPresenceViews(
      parser.parser(), response.status, response.body, response.Header("X-Ably-ErrorCode"),
      response.Header("X-Ably-ErrorMessage"), response.body.capacity() - response.body.size(),
      [&](const BatchPresenceViews& parsed) {
        if (!parsed.ok) {
          const LogFields fields{
              {"host", answer.host}, {"status", response.status}, {"code", parsed.error.code}};
          spdlog::warn("Ably batch presence request to {} failed: HTTP {}, code {}: {}",
                       answer.host, response.status, parsed.error.code, parsed.error.message);
          fail_all(parsed.error);
          Record(batch.results, answer.host, true);
          return;
        }
        RememberSizes(parsed, response.body.size());
        // Billed: every member Ably returned, whatever becomes of the channel here.
        uint64_t members = 0;
        for (const ChannelPresenceView& channel : parsed.channels) {
          members += channel.members.size();
        }
        metrics_.AddBillableMessages(members);
        HandOverResults(parsed, batch, answer.host, stream);
      });
  KeepSpareBody(std::move(answer.response.body));
}

void AblyRestClient::Split(Batch batch, const std::string& why, Stream& stream,
                           const std::atomic<bool>& cancel) {
  const size_t half = (batch.size() + 1) / 2;
  size_t current = batch_size_.load();
  while (half < current && !batch_size_.compare_exchange_weak(current, half)) {
  }
  spdlog::info("Ably batch of {} channels {}; splitting it, batches of at most {} from now on",
               batch.size(), why, std::min(current, half));
  FetchBatch(batch.First(half), stream, cancel);
  FetchBatch(batch.Rest(half), stream, cancel);
}

void AblyRestClient::FetchPaged(const std::string& channel, ChannelPresence& out,
                                const std::atomic<bool>& cancel) {
  int limit = kPageLimit;
  auto first_page = [&] {
    return transport_.base_path() + "/channels/" + PercentEncode(channel) +
           "/presence?limit=" + std::to_string(limit);
  };
  PageWalk walk(first_page(), kMaxPresencePages, kMaxPresenceReadBytes);
  std::vector<Member> members;
  while (true) {
    AblyAnswer answer = transport_.Get(walk.target(), cancel);
    if (answer.kind == AblyAnswer::Kind::kCancelled) return;
    if (answer.kind == AblyAnswer::Kind::kTooLarge && limit > 1) {
      limit /= 2;  // pages of big members: smaller pages, from the first one again
      members.clear();
      walk.Restart(first_page());
      continue;
    }
    AblyError error;
    const int page = walk.page();
    const size_t before = members.size();
    if (!answer.ok()) {
      error = answer.error;
    } else if (!ParsePresencePage(answer.response.body, members, error)) {
      error.status_code = answer.response.status;
    } else {
      // Billed as the page arrives: a later page that fails does not unbill this one.
      metrics_.AddBillableMessages(members.size() - before);
      Result<bool> more = walk.Next(answer.response);
      if (more.ok() && *more) continue;
      if (more.ok()) {
        out.ok = true;
        out.error = {};
        out.members = std::move(members);
        return;
      }
      error = {0, answer.response.status, more.error().message};
    }
    if (!IsCapabilityError(error)) {  // said once by Record
      const LogFields fields{{"channel", channel}, {"code", error.code}};
      spdlog::warn("Ably presence of channel {} (page {}) failed: {}", channel, page,
                   answer.kind == AblyAnswer::Kind::kResponse && answer.ok() ? error.message
                                                                             : Describe(answer));
    }
    out.ok = false;
    out.members.clear();
    out.error = error;
    return;
  }
}

void AblyRestClient::HandOverResults(const BatchPresenceViews& parsed, Batch batch,
                                     const std::string& host, Stream& stream) {
  // A name may appear more than once in the input: every position gets the result. A name the
  // answer repeats is failed in every entry by the parser; the first entry stands for it.
  std::unordered_map<std::string_view, const ChannelPresenceView*> by_name;
  for (const ChannelPresenceView& result : parsed.channels)
    by_name.try_emplace(result.channel, &result);
  std::vector<const ChannelPresenceView*> found(batch.size(), nullptr);
  for (size_t k = 0; k < batch.size(); ++k) {
    ChannelPresence& out = batch.results[k];
    const auto it = by_name.find(out.channel);
    if (it == by_name.end()) {
      out.ok = false;
      out.error = {0, 0, "channel missing from the batch response"};
      continue;
    }
    found[k] = it->second;
    out.ok = it->second->ok;
    out.error = it->second->error;
  }
  Record(batch.results, host, false);
  for (size_t k = 0; k < batch.size(); ++k) {
    if (batch.results[k].ok) stream.HandOver(batch.indices[k], *found[k]);
  }
}

void AblyRestClient::Record(std::span<ChannelPresence> results, const std::string& host,
                            bool request_failed) {
  size_t failed = 0;
  const ChannelPresence* first_failed = nullptr;
  for (ChannelPresence& out : results) {
    if (out.ok) continue;
    metrics_.ChannelFetchError(out.error.code);
    if (IsCapabilityError(out.error)) {
      out.error.message = CapabilityAdvice(AblyOperation::kSubscribe, out.channel, out.error);
      notices_.Note(AblyOperation::kSubscribe, out.channel, out.error.message);
      continue;  // said once, not every cycle
    }
    if (failed++ == 0) first_failed = &out;
  }
  if (first_failed != nullptr && !request_failed) {
    const LogFields fields{{"host", host},
                           {"failed", failed},
                           {"channel", first_failed->channel},
                           {"code", first_failed->error.code}};
    spdlog::warn("Ably batch presence from {}: {} of {} channels failed (first: {}, code {}: {})",
                 host, failed, results.size(), first_failed->channel, first_failed->error.code,
                 first_failed->error.message);
  }
}

bool AblyRestClient::SleepBeforeRetry(int retry, const std::atomic<bool>& cancel) {
  // Full jitter around an exponential base, so concurrent enumerators do not retry in step.
  // Uniform in [base/2, 3*base/2).
  const auto base = kBusyBaseDelay * (1 << std::min(retry, 2));
  const auto jitter = std::chrono::duration_cast<std::chrono::milliseconds>(
      base / 2 + std::chrono::duration<double, std::milli>(random_.Uniform01() * base.count()));
  return clock_.SleepFor(jitter, cancel);
}

Result<std::vector<std::string>> AblyRestClient::ListChannels(const std::string& prefix,
                                                              const std::atomic<bool>& cancel) {
  const std::string first =
      transport_.base_path() + "/channels?prefix=" + PercentEncode(prefix) + "&by=id&limit=1000";
  // Enumeration links may lead to another path (Ably's `/abs/path?…` form): any path is followed.
  PageWalk walk(first, kMaxEnumerationPages, kMaxEnumerationBytes, /*stay_on_resource=*/false);
  std::vector<std::string> names;
  int busy_retries = 0, restarts = 0;
  const Error cancelled{"channel enumeration cancelled: presenced is stopping"};
  while (true) {
    if (cancel) return cancelled;
    AblyAnswer answer = transport_.Get(walk.target(), cancel);
    if (!answer.ok()) {
      if (cancel) return cancelled;
      const int code = answer.kind == AblyAnswer::Kind::kResponse ? answer.error.code : 0;
      if (code == kEnumerationBusy && busy_retries < kMaxBusyRetries) {
        spdlog::info(
            "discovery: another enumeration of this Ably app is running (42912); "
            "retrying");
        if (!SleepBeforeRetry(busy_retries++, cancel)) return cancelled;
        continue;
      }
      if (code == kPaginationInvalid && restarts < kMaxEnumerationRestarts) {
        spdlog::info(
            "discovery: Ably invalidated the enumeration's pagination (40011); "
            "starting again from the first page");
        ++restarts;
        names.clear();
        walk.Restart(first);
        continue;
      }
      if (answer.kind == AblyAnswer::Kind::kResponse && IsCapabilityError(answer.error)) {
        const std::string advice =
            CapabilityAdvice(AblyOperation::kChannelMetadata, prefix, answer.error);
        notices_.Note(AblyOperation::kChannelMetadata, prefix, advice);
        return Error{"channel enumeration failed: " + advice};
      }
      return Error{"channel enumeration failed: " + Describe(answer)};
    }
    const size_t known = names.size();
    Status parsed = ParseChannelList(answer.response.body, names);
    if (!parsed.ok()) return Error{"channel enumeration failed: " + parsed.error().message};
    const int page = walk.page();
    Result<bool> more = walk.Next(answer.response, /*may_repeat=*/names.size() == known);
    if (!more.ok()) {
      return Error{"channel enumeration failed at page " + std::to_string(page) + ": " +
                   more.error().message};
    }
    if (!*more) {
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      return names;
    }
  }
}

}  // namespace

std::unique_ptr<PresenceSource> MakeAblyRestClient(const AblyConfig& config, HttpClient& http,
                                                   Metrics& metrics, const Clock& clock,
                                                   Random& random, AblyAuth& auth) {
  return std::make_unique<AblyRestClient>(config, http, metrics, clock, random, nullptr, auth);
}

std::unique_ptr<PresenceSource> MakeAblyRestClient(const AblyConfig& config, HttpClient& http,
                                                   Metrics& metrics, const Clock& clock,
                                                   Random& random) {
  auto auth = std::make_unique<AblyAuth>(config, http, metrics, clock);
  AblyAuth& ref = *auth;
  return std::make_unique<AblyRestClient>(config, http, metrics, clock, random, std::move(auth),
                                          ref);
}

}  // namespace presenced
