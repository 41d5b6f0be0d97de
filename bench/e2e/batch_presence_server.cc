// batch_presence_server: a static Ably batch-presence endpoint for the end-to-end benchmark
// (scripts/bench-e2e.sh). It serves GET /presence?channels=… for `--channels` channels named
// room:00000… in groups of `--per-request` (the order presenced batches its sorted channel list),
// each with `--members` members.
//
// Every group has two pre-generated v3 bodies, B1 = churn(B0), served alternately per request of
// that group, so every poll cycle sees `--churn` of each channel's members change (a third
// leave, a third enter, a third update) at no CPU cost to the server. Listens on 127.0.0.1:0,
// prints "port N" on stdout once ready, and runs until SIGTERM or SIGINT. Credentials are
// ignored.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <signal.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "snapshot_generator.h"

namespace presenced::bench {
namespace {

struct Group {
  std::array<std::string, 2> bodies;
  std::atomic<uint64_t> served{0};
};

struct Bodies {
  std::map<std::string, Group*> by_first_channel;  // first channel of the group -> group
  std::vector<std::unique_ptr<Group>> groups;
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Bodies& bodies) : bodies_(bodies) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      std::string channels;
      for (const auto& [name, value] : Poco::URI(request.getURI()).getQueryParameters()) {
        if (name == "channels") channels = value;
      }
      auto it = bodies_.by_first_channel.find(channels.substr(0, channels.find(',')));
      if (it == bodies_.by_first_channel.end()) {
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        response.sendBuffer("{}", 2);
        return;
      }
      Group& group = *it->second;
      const std::string& body = group.bodies[group.served.fetch_add(1) % 2];
      response.setContentType("application/json");
      response.sendBuffer(body.data(), body.size());
    } catch (const std::exception&) {
      // The client went away: nothing to answer.
    }
  }

 private:
  Bodies& bodies_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Bodies& bodies) : bodies_(bodies) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(bodies_);
  }

 private:
  Bodies& bodies_;
};

int ArgInt(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

}  // namespace
}  // namespace presenced::bench

int main(int argc, char** argv) {
  using namespace presenced::bench;
  const int channels = ArgInt(argc, argv, "--channels", 1000);
  const int members = ArgInt(argc, argv, "--members", 100);
  const int per_request = ArgInt(argc, argv, "--per-request", 100);
  const double churn = ArgInt(argc, argv, "--churn-percent", 5) / 100.0;

  Bodies bodies;
  for (int first = 0; first < channels; first += per_request) {
    const int count = std::min(per_request, channels - first);
    SnapshotGenerator gen(count, members, 20261129u + static_cast<uint64_t>(first), first);
    auto group = std::make_unique<Group>();
    group->bodies[0] = gen.BatchBody();
    gen.Churn(churn);
    group->bodies[1] = gen.BatchBody();
    bodies.by_first_channel[gen.channels().front()] = group.get();
    bodies.groups.push_back(std::move(group));
  }

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // server threads inherit the mask

  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(1'000'000);
  params->setKeepAliveTimeout(Poco::Timespan(60, 0));
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::HTTPServer server(new Factory(bodies), socket, params);
  server.start();
  std::printf("port %u\n", static_cast<unsigned>(socket.address().port()));
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.stopAll(true);
  return 0;
}
