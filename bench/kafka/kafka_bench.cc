// Kafka sink throughput: events per second from the outbox to acknowledged, on librdkafka's mock
// cluster (3 brokers on loopback, topic of 6 partitions, in this process). The events are
// committed to a fresh state store first (not timed); then one Kafka sink's worker starts, and
// the clock runs until its outbox is empty: batches read from SQLite, one message per event
// through the idempotent producer (acks=all), every delivery report awaited, the batch deleted.
//
// Usage: kafka_bench [EVENTS] [CHANNELS]   (default 200000 events over 100 channels)
// scripts/bench-kafka.sh builds it in Release and runs it.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "common/random.h"
#include "delivery/dispatcher.h"
#include "delivery/kafka/kafka_sink.h"
#include "delivery/router.h"
#include "state/state_store.h"

namespace presenced {
namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int Run(int events, int channels) {
  spdlog::set_level(spdlog::level::warn);
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error));
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, 3);
  rd_kafka_mock_topic_create(cluster, "presence", 6, 3);

  std::string dir_template =
      (std::filesystem::temp_directory_path() / "presenced-kafka-bench-XXXXXX").string();
  const std::string dir = mkdtemp(dir_template.data());
  int status = 0;
  {
    auto store = std::move(StateStore::Open(dir)).value();
    Config config;
    KafkaConfig sink;
    sink.name = "bench";
    sink.brokers = rd_kafka_mock_cluster_bootstraps(cluster);
    sink.topic = "presence";
    config.kafka = {sink};
    SystemClock clock;
    const int64_t now = clock.NowMs();
    const std::vector<SinkRoute> routes = SinkRoutes(config);
    for (int done = 0; done < events;) {  // cycles of up to 10,000 events
      std::vector<Event> cycle;
      for (int i = 0; i < 10'000 && done < events; ++i, ++done) {
        const std::string client = "client-" + std::to_string(done);
        cycle.push_back(MakeEvent("room:" + std::to_string(done % channels), Action::kEnter, client,
                                  client + "-conn", client + "-conn:0:0",
                                  R"({"status":"online","avatar":"https://example.com/a.png"})",
                                  "json", now, now));
      }
      if (!store->CommitCycle({}, {}, RouteToSinks(routes, cycle)).ok()) return 1;
    }
    Metrics metrics(false);
    KafkaProducers producers;
    Dispatcher dispatcher(
        *store, metrics, clock, [](const WebhookConfig&) { return nullptr; },
        [] { return std::make_unique<SeededRandom>(1); });
    const double cpu_before = CpuSeconds();
    const auto started = std::chrono::steady_clock::now();
    dispatcher.Configure({}, KafkaSinks(config.kafka, producers, metrics, clock));
    while (store->GetBacklog("bench")->pending > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double cpu = CpuSeconds() - cpu_before;
    std::printf(
        "kafka sink: %d events over %d channels from the outbox to acknowledged in %.2f s: "
        "%.0f events/s (%.2f CPU-s in this process, mock cluster included)\n",
        events, channels, seconds, events / seconds, cpu);
    dispatcher.Stop(std::chrono::milliseconds(1'000));
    if (store->GetBacklog("bench")->dead_letters > 0) status = 1;
  }
  std::filesystem::remove_all(dir);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return status;
}

}  // namespace
}  // namespace presenced

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 200'000;
  const int channels = argc > 2 ? std::atoi(argv[2]) : 100;
  return presenced::Run(events, channels);
}
