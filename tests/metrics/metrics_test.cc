#include "metrics/metrics.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <optional>
#include <sstream>
#include <string>

#include "metrics/process_metrics.h"

namespace presenced {
namespace {

// Returns the value of the sample written exactly as `series` (name plus labels), if present.
std::optional<double> Sample(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

TEST(MetricsTest, SeriesExistFromTheStart) {
  Metrics metrics(true);
  const std::string text = metrics.Serialize();
  for (const char* series :
       {"presenced_channels", "presenced_channels_stale", "presenced_poll_cycles_total",
        "presenced_poll_overruns_total", "presenced_ably_billable_messages_total",
        "presenced_poll_cycle_duration_seconds_count",
        "presenced_api_request_duration_seconds_count", R"(presenced_events_total{action="enter"})",
        R"(presenced_events_total{action="leave"})", R"(presenced_events_total{action="update"})",
        R"(presenced_events_total{action="present"})", "presenced_config_last_reload_successful",
        R"(presenced_reconcile_corrections_total{action="enter"})",
        R"(presenced_reconcile_corrections_total{action="leave"})",
        R"(presenced_reconcile_corrections_total{action="update"})"}) {
    EXPECT_EQ(Sample(text, series), 0) << series;
  }
  EXPECT_NE(text.find("presenced_build_info{"), std::string::npos);
}

TEST(MetricsTest, PerChannelSeriesAreLabelledAndRemoved) {
  Metrics metrics(true);
  metrics.SetChannelMembers("chat:lobby", 3, 2);
  metrics.SetChannelLastSuccess("chat:lobby", 1700000000.5);
  std::string text = metrics.Serialize();
  EXPECT_EQ(Sample(text, R"(presenced_members{channel="chat:lobby"})"), 3);
  EXPECT_EQ(Sample(text, R"(presenced_clients{channel="chat:lobby"})"), 2);
  EXPECT_EQ(
      Sample(text, R"(presenced_channel_last_success_timestamp_seconds{channel="chat:lobby"})"),
      1700000000.5);
  metrics.SetTotals(10, 10);  // ignored while per-channel
  EXPECT_EQ(Sample(metrics.Serialize(), "presenced_members"), std::nullopt);

  metrics.RemoveChannel("chat:lobby");
  text = metrics.Serialize();
  EXPECT_EQ(text.find("chat:lobby"), std::string::npos);
}

TEST(MetricsTest, WithoutPerChannelOnlyTotals) {
  Metrics metrics(false);
  metrics.SetChannelMembers("chat:lobby", 3, 2);  // ignored
  metrics.SetTotals(7, 5);
  metrics.SetChannelLastSuccess("ignored", 1700000000);
  const std::string text = metrics.Serialize();
  EXPECT_EQ(text.find("channel="), std::string::npos);
  EXPECT_EQ(Sample(text, "presenced_members"), 7);
  EXPECT_EQ(Sample(text, "presenced_clients"), 5);
  EXPECT_EQ(Sample(text, "presenced_channel_last_success_timestamp_seconds"), 1700000000);
}

TEST(MetricsTest, SwitchingPerChannelDropsTheOtherKind) {
  Metrics metrics(true);
  metrics.SetChannelMembers("a", 1, 1);
  metrics.SetPerChannel(false);
  std::string text = metrics.Serialize();
  EXPECT_EQ(text.find("channel=\"a\""), std::string::npos);
  EXPECT_EQ(Sample(text, "presenced_members"), 0);
  metrics.SetPerChannel(true);
  metrics.SetChannelMembers("a", 4, 1);
  text = metrics.Serialize();
  EXPECT_EQ(Sample(text, "presenced_members"), std::nullopt);
  EXPECT_EQ(Sample(text, R"(presenced_members{channel="a"})"), 4);
}

TEST(MetricsTest, CountersAndHistograms) {
  Metrics metrics(true);
  metrics.AddEvents(Action::kEnter, 3);
  metrics.CycleFinished(0.2, false);
  metrics.CycleFinished(20, true);
  metrics.ApiRequest("200", 0.05);
  metrics.ApiRequest("error", 4);
  metrics.AddBillableMessages(250);
  metrics.AddReconcileCorrections(Action::kLeave, 2);
  metrics.ChannelFetchError(40160);
  metrics.SetChannels(250, 1);
  const std::string text = metrics.Serialize();
  EXPECT_EQ(Sample(text, R"(presenced_events_total{action="enter"})"), 3);
  EXPECT_EQ(Sample(text, "presenced_poll_cycles_total"), 2);
  EXPECT_EQ(Sample(text, "presenced_poll_overruns_total"), 1);
  EXPECT_EQ(Sample(text, "presenced_poll_cycle_duration_seconds_count"), 2);
  EXPECT_EQ(Sample(text, R"(presenced_poll_cycle_duration_seconds_bucket{le="0.25"})"), 1);
  EXPECT_EQ(Sample(text, R"(presenced_api_requests_total{status="200"})"), 1);
  EXPECT_EQ(Sample(text, R"(presenced_api_requests_total{status="error"})"), 1);
  EXPECT_EQ(Sample(text, "presenced_ably_billable_messages_total"), 250);
  EXPECT_EQ(Sample(text, R"(presenced_reconcile_corrections_total{action="leave"})"), 2);
  EXPECT_EQ(Sample(text, R"(presenced_channel_fetch_errors_total{code="40160"})"), 1);
  EXPECT_EQ(Sample(text, "presenced_channels"), 250);
  EXPECT_EQ(Sample(text, "presenced_channels_stale"), 1);
}

TEST(MetricsTest, WebhookSeriesComeAndGoWithTheWebhook) {
  Metrics metrics(true);
  metrics.AddWebhook("main");
  std::string text = metrics.Serialize();
  EXPECT_EQ(Sample(text, R"(presenced_webhook_pending_events{webhook="main"})"), 0);
  EXPECT_EQ(Sample(text, R"(presenced_webhook_dead_letter_events{webhook="main"})"), 0);
  EXPECT_EQ(Sample(text, R"(presenced_webhook_events_delivered_total{webhook="main"})"), 0);
  metrics.WebhookRequest("main", "503", 0.1);
  metrics.WebhookRequest("main", "200", 0.1);
  metrics.WebhookDelivered("main", 7);
  metrics.SetWebhookBacklog("main", 4, 12.5, 2);
  text = metrics.Serialize();
  EXPECT_EQ(Sample(text, R"(presenced_webhook_requests_total{status="503",webhook="main"})"), 1);
  EXPECT_EQ(Sample(text, R"(presenced_webhook_events_delivered_total{webhook="main"})"), 7);
  EXPECT_EQ(Sample(text, R"(presenced_webhook_pending_events{webhook="main"})"), 4);
  EXPECT_EQ(Sample(text, R"(presenced_webhook_oldest_pending_age_seconds{webhook="main"})"), 12.5);
  EXPECT_EQ(Sample(text, R"(presenced_webhook_dead_letter_events{webhook="main"})"), 2);
  metrics.RemoveWebhook("main");
  EXPECT_EQ(metrics.Serialize().find("webhook=\"main\""), std::string::npos);
}

TEST(MetricsTest, KafkaSeriesComeAndGoWithTheSink) {
  Metrics metrics(true);
  metrics.AddKafkaSink("stream");
  std::string text = metrics.Serialize();
  EXPECT_EQ(Sample(text, R"(presenced_kafka_messages_total{result="ok",sink="stream"})"), 0);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_messages_total{result="error",sink="stream"})"), 0);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_pending_events{sink="stream"})"), 0);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_oldest_pending_age_seconds{sink="stream"})"), 0);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_dead_letter_events{sink="stream"})"), 0);
  metrics.KafkaAttempt("stream", true, 100, "");
  metrics.KafkaAttempt("stream", false, 40, "broker_down");
  metrics.KafkaAttempt("stream", false, 40, "broker_down");
  metrics.KafkaAttempt("stream", false, 1, "authentication");
  metrics.SetKafkaBacklog("stream", 40, 3.5, 7);
  text = metrics.Serialize();
  EXPECT_EQ(Sample(text, R"(presenced_kafka_messages_total{result="ok",sink="stream"})"), 100);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_messages_total{result="error",sink="stream"})"), 81);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_errors_total{error="broker_down",sink="stream"})"), 2);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_errors_total{error="authentication",sink="stream"})"),
            1);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_pending_events{sink="stream"})"), 40);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_oldest_pending_age_seconds{sink="stream"})"), 3.5);
  EXPECT_EQ(Sample(text, R"(presenced_kafka_dead_letter_events{sink="stream"})"), 7);
  metrics.RemoveKafkaSink("stream");
  EXPECT_EQ(metrics.Serialize().find("sink=\"stream\""), std::string::npos);
}

TEST(MetricsTest, ChannelsOccupiedAndChannelEventCounters) {
  Metrics metrics(true);
  std::string text = metrics.Serialize();
  EXPECT_EQ(Sample(text, "presenced_channels_occupied"), 0);
  EXPECT_EQ(Sample(text, R"(presenced_events_total{action="occupied"})"), 0);
  EXPECT_EQ(Sample(text, R"(presenced_events_total{action="vacated"})"), 0);
  metrics.SetChannelsOccupied(3);
  metrics.AddEvents(Action::kVacated, 2);
  text = metrics.Serialize();
  EXPECT_EQ(Sample(text, "presenced_channels_occupied"), 3);
  EXPECT_EQ(Sample(text, R"(presenced_events_total{action="vacated"})"), 2);
}

TEST(MetricsTest, ReloadOutcome) {
  Metrics metrics(true);
  metrics.ConfigReloaded(true, 1700000000);
  metrics.ConfigReloaded(false, 1700000100);
  const std::string text = metrics.Serialize();
  EXPECT_EQ(Sample(text, "presenced_config_last_reload_successful"), 0);
  EXPECT_EQ(Sample(text, "presenced_config_last_reload_success_timestamp_seconds"), 1700000000);
}

// The standard process metrics (CONTRACT §7), read at scrape time as every client library does.
TEST(MetricsTest, ProcessMetricsAreExported) {
  Metrics metrics(true);
  const std::string text = metrics.Serialize();
  for (const char* family :
       {"process_cpu_seconds_total counter", "process_open_fds gauge", "process_max_fds gauge",
        "process_virtual_memory_bytes gauge", "process_resident_memory_bytes gauge",
        "process_start_time_seconds gauge"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + "\n"), std::string::npos) << family;
  }
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(Sample(text, "process_max_fds"), static_cast<double>(limit.rlim_cur));
  EXPECT_GE(Sample(text, "process_open_fds").value_or(0), 3);  // stdin, stdout, stderr
  EXPECT_GT(Sample(text, "process_resident_memory_bytes").value_or(0), 1 << 20);
  EXPECT_GE(Sample(text, "process_virtual_memory_bytes").value_or(0),
            Sample(text, "process_resident_memory_bytes").value_or(1));
  EXPECT_GE(Sample(text, "process_cpu_seconds_total").value_or(-1), 0);
  // This test process started a moment ago (well within a day of the test's own clock).
  const double now = static_cast<double>(time(nullptr));
  const double start = Sample(text, "process_start_time_seconds").value_or(0);
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 86400);
}

TEST(ProcessStatTest, ParsesProcSelfStatWithAnOddCommandName) {
  // proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss ...
  const std::string stat =
      "4242 (pres (enced) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 "
      "123400 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0";
  const std::optional<ProcessStat> parsed = ParseProcessStat(stat, 100, 4096);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_DOUBLE_EQ(parsed->cpu_seconds, 3.0);  // (250 + 50) / 100
  EXPECT_DOUBLE_EQ(parsed->start_after_boot_s, 1234.0);
  EXPECT_DOUBLE_EQ(parsed->virtual_bytes, 104857600.0);
  EXPECT_DOUBLE_EQ(parsed->resident_bytes, 2560.0 * 4096);
  EXPECT_FALSE(ParseProcessStat("garbage", 100, 4096).has_value());
  EXPECT_FALSE(ParseProcessStat("1 (x) S 1 2", 100, 4096).has_value());
}

}  // namespace
}  // namespace presenced
