#include "service/check_ably.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ably/ably_clock.h"
#include "ably/auth.h"
#include "ably/capability_advice.h"
#include "ably/channel_list_parser.h"
#include "ably/rest_request.h"
#include "ably/transport.h"
#include "common/shard.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "service/app_makers.h"
#include "service/cost_estimate.h"

namespace presenced {
namespace {

constexpr size_t kProbeChannels = 100;  // CONTRACT §2: batch presence of up to 100 channels
constexpr size_t kListedFailures = 10;  // per-channel failures printed, then a count
constexpr int64_t kHistoryWindowMs = 60'000;
constexpr int kMaxHistoryPages = 10;

std::string Describe(const AblyAnswer& answer) {
  if (answer.kind != AblyAnswer::Kind::kResponse) return answer.error.message;
  return "HTTP " + std::to_string(answer.response.status) + ", code " +
         std::to_string(answer.error.code) + ": " + answer.error.message;
}

class CheckAbly {
 public:
  CheckAbly(const Config& config, Random& random, std::FILE* out)
      : config_(config),
        out_(out),
        http_(MakePocoHttpClient(HttpClientOptionsFor(config))),
        clock_(host_, metrics_),
        auth_(config.ably, *http_, metrics_, clock_),
        transport_(config.ably, *http_, metrics_, clock_, random, auth_) {}

  int Run() {
    Print("presenced --check-ably: " + config_.path + " against " + config_.ably.endpoint);
    CheckTime();
    CheckCredentials();
    for (const std::string& prefix : config_.discovery.prefixes) CheckEnumeration(prefix);
    CheckPresence();
    if (config_.presence.mode == PresenceConfig::Mode::kHistory) CheckHistory();
    inputs_.channels = channels_.size();
    for (const std::string& line : DescribeCost(EstimateHourlyCost(config_, inputs_), inputs_)) {
      Print(line);
    }
    Print(failed_ ? "result: FAIL (see above)" : "result: ok");
    return failed_ ? 1 : 0;
  }

 private:
  void Print(const std::string& line) { std::fprintf(out_, "%s\n", line.c_str()); }
  void Fail(const std::string& line) {
    failed_ = true;
    Print(line);
  }
  bool Owned(const std::string& name) const {
    return ShardOwns(name, config_.shard.index, config_.shard.count);
  }

  void CheckTime() {
    Status measured = clock_.Measure(*http_, config_.ably);
    if (!measured.ok()) {
      Fail("time: FAIL " + measured.error().message + " (is ably.endpoint right and reachable?)");
      return;
    }
    const double offset = static_cast<double>(*clock_.OffsetMs()) / 1000;
    char line[200];
    std::snprintf(line, sizeof line,
                  "time: ok, Ably's clock is %.3fs %s this host's (GET /time, round trip %lldms)",
                  std::fabs(offset), offset < 0 ? "behind" : "ahead of",
                  static_cast<long long>(clock_.RoundTrip()->count()));
    Print(line);
  }

  void CheckCredentials() {
    switch (config_.ably.auth) {
      case AblyConfig::Auth::kBasic:
        Print("credentials: a key (Ably checks it with the probes below)");
        return;
      case AblyConfig::Auth::kBearer:
        Print("credentials: a token from ably.token_env (cannot be renewed; checked below)");
        return;
      case AblyConfig::Auth::kTokenFile:
      case AblyConfig::Auth::kAuthUrl:
        break;
    }
    Result<std::string> header = auth_.Authorization();
    const std::string from = config_.ably.auth == AblyConfig::Auth::kAuthUrl
                                 ? "a token from ably.auth_url"
                                 : "a token from ably.token_file";
    if (header.ok()) {
      Print("credentials: ok, " + from);
    } else {
      Fail("credentials: FAIL, no " + from.substr(2) + ": " + header.error().message);
    }
  }

  void CheckEnumeration(const std::string& prefix) {
    const AblyAnswer answer = transport_.Get(
        transport_.base_path() + "/channels?prefix=" + PercentEncode(prefix) + "&by=id&limit=1000",
        never_);
    std::vector<std::string> names;
    if (!answer.ok()) {
      Fail("enumeration of prefix " + prefix + ": FAIL " +
           (answer.kind == AblyAnswer::Kind::kResponse && IsCapabilityError(answer.error)
                ? CapabilityAdvice(AblyOperation::kChannelMetadata, prefix, answer.error)
                : Describe(answer)));
      inputs_.discovered.push_back(0);
      return;
    }
    if (Status parsed = ParseChannelList(answer.response.body, names); !parsed.ok()) {
      Fail("enumeration of prefix " + prefix + ": FAIL " + parsed.error().message);
      inputs_.discovered.push_back(0);
      return;
    }
    std::erase_if(names, [&](const std::string& name) { return !Owned(name); });
    const bool more = !NextLink(answer.response.headers).empty();
    Print("enumeration of prefix " + prefix + ": ok, " + Thousands(names.size()) +
          " active channels on its first page" + (more ? " (more follow)" : ""));
    inputs_.discovered.push_back(names.size());
    for (std::string& name : names) {
      if (discovered_.size() < kProbeChannels) discovered_.push_back(name);
      channels_.insert(std::move(name));
    }
  }

  void CheckPresence() {
    std::vector<std::string> probe;
    for (const std::string& name : config_.channels) {
      if (!Owned(name)) continue;
      channels_.insert(name);
      if (probe.size() < kProbeChannels) probe.push_back(name);
    }
    if (probe.empty()) probe = discovered_;
    if (probe.empty()) {
      Print("batch presence: no channel to probe (discovery found none active)");
      return;
    }
    std::vector<ChannelPresence> failed;
    const size_t per_request = std::max(1, config_.ably.max_channels_per_request);
    for (size_t from = 0; from < probe.size(); from += per_request) {
      const std::vector<std::string> names(
          probe.begin() + from, probe.begin() + std::min(probe.size(), from + per_request));
      const std::optional<std::string> query = BatchPresenceQuery(names);
      if (!query) continue;
      const AblyAnswer answer =
          transport_.Get(transport_.base_path() + "/presence?" + *query, never_);
      if (answer.kind != AblyAnswer::Kind::kResponse) {
        Fail("batch presence: FAIL " + Describe(answer));
        return;
      }
      const HttpResponse& response = answer.response;
      BatchPresenceResult parsed =
          ParseBatchPresence(response.status, response.body, response.Header("X-Ably-ErrorCode"),
                             response.Header("X-Ably-ErrorMessage"));
      if (!parsed.ok) {
        const bool refused = response.status == 401 && !IsCapabilityError(parsed.error);
        Fail("batch presence: FAIL HTTP " + std::to_string(response.status) + ", code " +
             std::to_string(parsed.error.code) + ": " + parsed.error.message +
             (refused ? " (Ably rejects the credentials)" : ""));
        return;
      }
      inputs_.answer_bytes += response.body.size();
      for (ChannelPresence& channel : parsed.channels) {
        if (!channel.ok) {
          failed.push_back(std::move(channel));
          continue;
        }
        ++inputs_.probed;
        inputs_.members += channel.members.size();
        if (history_channel_.empty()) history_channel_ = channel.channel;
      }
    }
    const std::string counts = Thousands(inputs_.probed) + " of " + Thousands(probe.size()) +
                               " channels answered (" + Thousands(inputs_.members) + " members)";
    if (failed.empty()) {
      Print("batch presence: ok, " + counts);
      return;
    }
    Fail("batch presence: FAIL, " + counts + "; " + Thousands(failed.size()) + " refused:");
    for (size_t i = 0; i < std::min(failed.size(), kListedFailures); ++i) {
      const ChannelPresence& channel = failed[i];
      Print("  " +
            (IsCapabilityError(channel.error)
                 ? CapabilityAdvice(AblyOperation::kSubscribe, channel.channel, channel.error)
                 : "channel " + channel.channel + ": code " + std::to_string(channel.error.code) +
                       ": " + channel.error.message));
    }
    if (failed.size() > kListedFailures) {
      Print("  … and " + Thousands(failed.size() - kListedFailures) + " more");
    }
  }

  void CheckHistory() {
    std::string channel = history_channel_;
    if (channel.empty() && !channels_.empty()) channel = *channels_.begin();
    if (channel.empty()) {
      Print("presence history: no channel to probe");
      return;
    }
    const int64_t now = clock_.NowMs();
    const int64_t end = now - config_.presence.history_lag.count();
    const int64_t start =
        std::max(end - kHistoryWindowMs, now - config_.presence.history_retention.count() + 5'000);
    std::string target = transport_.base_path() + "/channels/" + PercentEncode(channel) +
                         "/presence/history?start=" + std::to_string(start) +
                         "&end=" + std::to_string(end) + "&direction=forwards&limit=1000";
    std::vector<PresenceMessage> messages;
    for (int page = 0; page < kMaxHistoryPages && !target.empty(); ++page) {
      const AblyAnswer answer = transport_.Get(target, never_);
      AblyError error;
      if (!answer.ok()) {
        Fail("presence history of channel " + channel + ": FAIL " +
             (IsCapabilityError(answer.error)
                  ? CapabilityAdvice(AblyOperation::kHistory, channel, answer.error)
                  : Describe(answer)));
        return;
      }
      if (!ParseHistoryPage(answer.response.body, messages, error)) {
        Fail("presence history of channel " + channel + ": FAIL " + error.message);
        return;
      }
      const std::string next = NextLink(answer.response.headers);
      target = next.empty() ? "" : ResolveTarget(target, next);
    }
    const double seconds = static_cast<double>(std::max<int64_t>(end - start, 1)) / 1000;
    inputs_.changes_per_channel_second = static_cast<double>(messages.size()) / seconds;
    Print("presence history: ok, channel " + channel + ": " + Thousands(messages.size()) +
          " messages in the last " + Thousands(seconds) + "s (read up to " +
          Thousands(static_cast<double>(config_.presence.history_lag.count()) / 1000) +
          "s ago, presence.history_lag)");
  }

  const Config& config_;
  std::FILE* out_;
  const SystemClock host_;
  Metrics metrics_{false};
  std::unique_ptr<HttpClient> http_;
  AblyClock clock_;
  AblyAuth auth_;
  AblyTransport transport_;
  const std::atomic<bool> never_{false};
  bool failed_ = false;
  std::set<std::string> channels_;       // every channel this config polls (as far as seen)
  std::vector<std::string> discovered_;  // the first ones enumeration found
  std::string history_channel_;
  CostInputs inputs_;
};

}  // namespace

int RunCheckAbly(const Config& config, Random& random, std::FILE* out) {
  return CheckAbly(config, random, out).Run();
}

}  // namespace presenced
