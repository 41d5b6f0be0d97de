// kafka_mock: Kafka brokers on loopback for integration tests and benchmarks of the real binary.
//
//   kafka_mock [--brokers N] [--topic NAME[:PARTITIONS]]... [--no-auto-create] [--sasl-refusing]
//
// Runs librdkafka's mock cluster (N brokers, default 3; each --topic created up front) and prints
//   bootstrap 127.0.0.1:p1,127.0.0.1:p2,…
//   control <port>
// on stdout. --no-auto-create makes the cluster honour clients' allow.auto.create.topics=false
// (presenced's default), so an unknown topic stays unknown. --sasl-refusing runs instead one
// broker that refuses every SASL login (librdkafka's mock has no SASL).
//
// The control port takes one command per line on 127.0.0.1 and answers each with "ok <line>" or
// "err <line>":
//   down <broker|-1>           take a broker (-1: all) down: connections and listener closed
//   up <broker|-1>             bring it back on the same port
//   topic <name> <partitions>  create a topic
//   err <api> <code> [n]       fail the next n requests of API key <api> (0 Produce) with Kafka
//                              error <code> (29 TOPIC_AUTHORIZATION_FAILED, …)
//   clear <api>                forget the errors queued for <api>
// SIGTERM or SIGINT stops it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kafka_mock/mock_cluster.h"

namespace {

volatile sig_atomic_t stop = 0;
void OnSignal(int) { stop = 1; }

// Serves one control connection: a reply per line until the peer closes.
void Serve(int fd, presenced::testing::MockCluster* cluster) {
  std::string buffer;
  char chunk[512];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) return;
    buffer.append(chunk, static_cast<size_t>(n));
    for (size_t end; (end = buffer.find('\n')) != std::string::npos;) {
      const std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 1);
      const std::string reply =
          (cluster != nullptr ? cluster->Command(line) : "err " + line + " (no cluster)") + "\n";
      if (::write(fd, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3;
  bool auto_create = true, sasl = false;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc) {
      brokers = std::atoi(argv[++i]);
    } else if (arg == "--topic" && i + 1 < argc) {
      const std::string spec = argv[++i];
      const size_t colon = spec.find(':');
      topics.emplace_back(spec.substr(0, colon),
                          colon == std::string::npos ? 6 : std::atoi(spec.c_str() + colon + 1));
    } else if (arg == "--no-auto-create") {
      auto_create = false;
    } else if (arg == "--sasl-refusing") {
      sasl = true;
    } else {
      std::fprintf(stderr, "kafka_mock: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  std::unique_ptr<presenced::testing::MockCluster> cluster;
  std::unique_ptr<presenced::testing::SaslRefusingBroker> refusing;
  if (sasl) {
    refusing = std::make_unique<presenced::testing::SaslRefusingBroker>();
  } else {
    cluster = std::make_unique<presenced::testing::MockCluster>(brokers, auto_create);
    for (const auto& [name, partitions] : topics) cluster->CreateTopic(name, partitions);
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener, 8) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("kafka_mock: control port");
    return 1;
  }
  std::printf("bootstrap %s\ncontrol %d\n",
              (sasl ? refusing->bootstrap() : cluster->bootstrap()).c_str(),
              ntohs(address.sin_port));
  std::fflush(stdout);
  while (!stop) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Serve(fd, cluster.get());
    ::close(fd);
  }
  ::close(listener);
  return 0;
}
