#include "kafka_mock/kafka_consumer.h"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <set>
#include <stdexcept>

namespace presenced::testing {
namespace {

// The partition count of `topic`, 0 while it is unknown.
int Partitions(rd_kafka_t* consumer, const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(consumer, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  int count = 0;
  if (rd_kafka_metadata(consumer, 0, handle, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = metadata->topics[0].partition_cnt;
    }
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
  return count;
}

ConsumedMessage Copy(const rd_kafka_message_t* m) {
  ConsumedMessage out;
  out.partition = m->partition;
  out.offset = m->offset;
  if (m->key) out.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) out.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      out.headers[name] = value ? std::string(static_cast<const char*>(value), size) : "";
    }
  }
  return out;
}

}  // namespace

std::vector<ConsumedMessage> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                       size_t at_least, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, std::string>>{
           {"bootstrap.servers", bootstrap},
           {"group.id", "presenced-test-reader"},  // assign() needs one; nothing is committed
           {"enable.auto.commit", "false"},
           {"auto.offset.reset", "earliest"},
           {"enable.partition.eof", "true"},
           {"log_level", "3"}}) {
    rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof(error));
  }
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  if (consumer == nullptr) throw std::runtime_error(std::string("consumer: ") + error);
  rd_kafka_poll_set_consumer(consumer);
  std::vector<ConsumedMessage> read;
  int partitions = 0;
  while (partitions == 0 && std::chrono::steady_clock::now() < end) {
    partitions = Partitions(consumer, topic);
  }
  if (partitions > 0) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(consumer, list);
    rd_kafka_topic_partition_list_destroy(list);
    std::set<int32_t> at_end;
    while (std::chrono::steady_clock::now() < end &&
           (static_cast<int>(at_end.size()) < partitions || read.size() < at_least)) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        at_end.insert(m->partition);
      } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        at_end.erase(m->partition);
        read.push_back(Copy(m));
      }
      rd_kafka_message_destroy(m);  // always: a message kept makes rd_kafka_destroy hang
    }
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return read;
}

}  // namespace presenced::testing
