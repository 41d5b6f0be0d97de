#include "kafka_mock/mock_cluster.h"

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace presenced::testing {

MockCluster::MockCluster(int brokers, bool auto_create) : brokers_(brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  // The host never produces: no bootstrap.servers (its notice about that is below level 4).
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error));
  host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (host_ == nullptr) throw std::runtime_error(std::string("mock host: ") + error);
  cluster_ = rd_kafka_mock_cluster_new(host_, brokers);
  if (cluster_ == nullptr) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  // The 2.0.2 mock answers Metadata v2 at most, which has no allow_auto_topic_creation field, so
  // it creates every topic a client asks about; from v4 on it honours the client's flag.
  if (!auto_create) rd_kafka_mock_set_apiversion(cluster_, kApiMetadata, 0, 4);
}

MockCluster::~MockCluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(host_);
}

std::string MockCluster::bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

bool MockCluster::CreateTopic(const std::string& topic, int partitions) {
  return rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, std::min(brokers_, 3)) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool MockCluster::SetDown(int id) {
  return rd_kafka_mock_broker_set_down(cluster_, id) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool MockCluster::SetUp(int id) {
  return rd_kafka_mock_broker_set_up(cluster_, id) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

void MockCluster::PushErrors(int16_t api, int code, int count) {
  for (int i = 0; i < count; ++i) {
    rd_kafka_mock_push_request_errors(cluster_, api, 1, static_cast<rd_kafka_resp_err_t>(code));
  }
}

void MockCluster::ClearErrors(int16_t api) { rd_kafka_mock_clear_request_errors(cluster_, api); }

std::string MockCluster::Command(const std::string& line) {
  std::istringstream in(line);
  std::string command;
  in >> command;
  bool ok = true;
  if (command == "down" || command == "up") {
    int id = -1;
    in >> id;
    ok = command == "down" ? SetDown(id) : SetUp(id);
  } else if (command == "topic") {
    std::string name;
    int partitions = 1;
    in >> name >> partitions;
    ok = !name.empty() && CreateTopic(name, partitions);
  } else if (command == "err") {
    int api = 0, code = 0, count = 1;
    in >> api >> code >> count;
    PushErrors(static_cast<int16_t>(api), code, count);
  } else if (command == "clear") {
    int api = 0;
    in >> api;
    ClearErrors(static_cast<int16_t>(api));
  } else {
    ok = false;
  }
  return (ok ? "ok " : "err ") + line;
}

namespace {

void Put16(std::string& out, int16_t v) {
  const uint16_t n = htons(static_cast<uint16_t>(v));
  out.append(reinterpret_cast<const char*>(&n), 2);
}
void Put32(std::string& out, int32_t v) {
  const uint32_t n = htonl(static_cast<uint32_t>(v));
  out.append(reinterpret_cast<const char*>(&n), 4);
}
void PutString(std::string& out, const std::string& s) {
  Put16(out, static_cast<int16_t>(s.size()));
  out += s;
}
void PutVarint(std::string& out, uint32_t v) {
  for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7f) | 0x80);
  out += static_cast<char>(v);
}
int16_t Get16(const std::string& in, size_t at) {
  uint16_t n;
  std::memcpy(&n, in.data() + at, 2);
  return static_cast<int16_t>(ntohs(n));
}
int32_t Get32(const std::string& in, size_t at) {
  uint32_t n;
  std::memcpy(&n, in.data() + at, 4);
  return static_cast<int32_t>(ntohl(n));
}
bool ReadFully(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::read(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The body of an ApiVersions response: ApiVersions, SaslHandshake, SaslAuthenticate, Metadata.
std::string ApiVersions(int16_t version) {
  const int16_t apis[][3] = {{18, 0, 3}, {17, 0, 1}, {36, 0, 1}, {3, 0, 1}};
  std::string body;
  Put16(body, 0);
  if (version >= 3) {
    PutVarint(body, std::size(apis) + 1);  // compact array
  } else {
    Put32(body, std::size(apis));
  }
  for (const auto& api : apis) {
    for (int16_t field : api) Put16(body, field);
    if (version >= 3) PutVarint(body, 0);  // tagged fields
  }
  if (version >= 1) Put32(body, 0);  // throttle_time_ms
  if (version >= 3) PutVarint(body, 0);
  return body;
}

}  // namespace

SaslRefusingBroker::SaslRefusingBroker() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("SaslRefusingBroker: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

SaslRefusingBroker::~SaslRefusingBroker() {
  stop_ = true;
  thread_.join();
  ::close(listener_);
}

void SaslRefusingBroker::Run() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Serve(fd);
    ::close(fd);
  }
}

void SaslRefusingBroker::Serve(int fd) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (stop_ || ::poll(&p, 1, 1000) <= 0) return;
    char size_bytes[4];
    if (!ReadFully(fd, size_bytes, 4)) return;
    const int32_t size = Get32(std::string(size_bytes, 4), 0);
    if (size < 8 || size > (1 << 20)) return;
    std::string request(static_cast<size_t>(size), '\0');
    if (!ReadFully(fd, request.data(), request.size())) return;
    const int16_t api = Get16(request, 0), version = Get16(request, 2);
    std::string body;
    if (api == 18) {
      body = ApiVersions(version);
    } else if (api == 17) {  // SaslHandshake: error, mechanisms
      Put16(body, 0);
      Put32(body, 1);
      PutString(body, "PLAIN");
    } else if (api == 36) {  // SaslAuthenticate: error, message, auth bytes[, session lifetime]
      ++logins_;
      Put16(body, 58);  // SASL_AUTHENTICATION_FAILED
      PutString(body, "Authentication failed: Invalid username or password");
      Put32(body, 0);
      if (version >= 1) body.append(8, '\0');
    } else {
      return;  // anything else before a login: hang up
    }
    std::string frame;
    Put32(frame, static_cast<int32_t>(4 + body.size()));
    Put32(frame, Get32(request, 4));  // correlation id; response header v0
    frame += body;
    if (::write(fd, frame.data(), frame.size()) != static_cast<ssize_t>(frame.size())) return;
  }
}

}  // namespace presenced::testing
