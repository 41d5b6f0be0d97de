#pragma once

// The presenced_kafka_* series (CONTRACT §7), behind Metrics' Kafka methods (kafka_series.cc).
// Internal to the metrics module: prometheus-cpp types stay here.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <set>
#include <string>
#include <utility>

#include "common/mutex.h"
#include "metrics/metrics.h"

namespace presenced {

struct Metrics::KafkaSeries {
  explicit KafkaSeries(prometheus::Registry& registry);

  prometheus::Family<prometheus::Counter>& messages;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Gauge>& pending;
  prometheus::Family<prometheus::Gauge>& oldest;
  prometheus::Family<prometheus::Gauge>& dead;

  Mutex mu;
  std::set<std::pair<std::string, std::string>> error_labels GUARDED_BY(mu);  // (sink, error)
};

}  // namespace presenced
