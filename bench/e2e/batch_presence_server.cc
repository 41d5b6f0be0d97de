// batch_presence_server: a static Ably batch-presence endpoint for the end-to-end benchmark
// (scripts/bench-e2e.sh). It serves GET /presence?channels=… for `--channels` channels named
// room:00000…, each with `--members` members, in whatever groups presenced asks for them.
//
// Every channel has two pre-generated result entries, E1 = churn(E0), served alternately per
// request that names it, so every poll cycle sees `--churn-percent` of each channel's members
// change (a third leave, a third enter, a third update; with fewer members than 1 / churn, e.g.
// 3 members at 5 %, that share of the channels changes one member each: see
// SnapshotGenerator::Churn); a response is its entries copied into one
// v3 body. The members are generated in groups of 100 channels (one seed per group). Listens on
// 127.0.0.1:0, prints "port N" on stdout once ready, and runs until SIGTERM or SIGINT. Credentials
// are ignored.
//
// `--burst-after N` (bench/e2e/burst.sh): once a channel has been served N times, it is served a
// third version in which every member reconnected (new connectionId and message id: all leave and
// enter again), and that version from then on (no more churn).
//
// GET /requests answers how the presence requests were spread in time: one line per 100 ms slot
// since the server started that saw any, "SLOT COUNT" (slot = milliseconds since the start / 100),
// so bench-e2e.sh can report the busiest second against the mean.

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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "snapshot_generator.h"

namespace presenced::bench {
namespace {

struct Entry {
  std::array<std::string, 2> versions;
  std::string burst;  // every member reconnected; served from the burst on (--burst-after)
  std::atomic<uint64_t> served{0};
};

// The version of `entry` to serve now: the two churn versions alternately, or, from its
// `burst_after`-th serve on (when burst_after > 0), the burst version.
const std::string& NextVersion(Entry& entry, uint64_t burst_after) {
  const uint64_t n = entry.served.fetch_add(1);
  if (burst_after > 0 && n >= burst_after) return entry.burst;
  return entry.versions[n % 2];
}

struct Bodies {
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> by_channel;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  static constexpr size_t kSlots = 36'000;  // an hour of 100 ms slots
  std::array<std::atomic<uint32_t>, kSlots> requests{};

  void CountRequest() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    const auto slot = static_cast<size_t>(ms / 100);
    if (slot < kSlots) requests[slot].fetch_add(1, std::memory_order_relaxed);
  }
  std::string RequestLog() const {
    std::string out;
    for (size_t i = 0; i < kSlots; ++i) {
      const uint32_t n = requests[i].load(std::memory_order_relaxed);
      if (n > 0) out += std::to_string(i) + " " + std::to_string(n) + "\n";
    }
    return out;
  }
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(Bodies& bodies, uint64_t burst_after) : bodies_(bodies), burst_after_(burst_after) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      if (request.getURI() == "/requests") {
        const std::string log = bodies_.RequestLog();
        response.setContentType("text/plain");
        response.sendBuffer(log.data(), log.size());
        return;
      }
      bodies_.CountRequest();
      std::string channels;
      for (const auto& [name, value] : Poco::URI(request.getURI()).getQueryParameters()) {
        if (name == "channels") channels = value;
      }
      std::vector<const std::string*> entries;
      size_t bytes = 64;
      for (size_t at = 0; at <= channels.size();) {
        size_t end = channels.find(',', at);
        if (end == std::string::npos) end = channels.size();
        auto it = bodies_.by_channel.find(std::string_view(channels).substr(at, end - at));
        if (it == bodies_.by_channel.end()) {
          response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
          response.sendBuffer("{}", 2);
          return;
        }
        Entry& entry = *it->second;
        entries.push_back(&NextVersion(entry, burst_after_));
        bytes += entries.back()->size() + 1;
        at = end + 1;
      }
      std::string body;
      body.reserve(bytes);
      body.append("{\"successCount\":" + std::to_string(entries.size()) +
                  ",\"failureCount\":0,\"results\":[");
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) body.push_back(',');
        body.append(*entries[i]);
      }
      body.append("]}");
      response.setContentType("application/json");
      response.sendBuffer(body.data(), body.size());
    } catch (const std::exception&) {
      // The client went away: nothing to answer.
    }
  }

 private:
  Bodies& bodies_;
  const uint64_t burst_after_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(Bodies& bodies, uint64_t burst_after) : bodies_(bodies), burst_after_(burst_after) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(bodies_, burst_after_);
  }

 private:
  Bodies& bodies_;
  const uint64_t burst_after_;
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
  const double churn = ArgInt(argc, argv, "--churn-percent", 5) / 100.0;
  const auto burst_after = static_cast<uint64_t>(ArgInt(argc, argv, "--burst-after", 0));

  Bodies bodies;
  constexpr int kGroup = 100;
  for (int first = 0; first < channels; first += kGroup) {
    const int count = std::min(kGroup, channels - first);
    SnapshotGenerator gen(count, members, 20261129u + static_cast<uint64_t>(first), first);
    std::vector<std::unique_ptr<Entry>> group;
    for (int c = 0; c < count; ++c) {
      group.push_back(std::make_unique<Entry>());
      group.back()->versions[0] = gen.ResultEntry(static_cast<size_t>(c));
    }
    gen.Churn(churn);
    for (int c = 0; c < count; ++c) {
      group[static_cast<size_t>(c)]->versions[1] = gen.ResultEntry(static_cast<size_t>(c));
    }
    if (burst_after > 0) {
      gen.Reconnect();
      for (int c = 0; c < count; ++c) {
        group[static_cast<size_t>(c)]->burst = gen.ResultEntry(static_cast<size_t>(c));
      }
    }
    for (int c = 0; c < count; ++c) {
      bodies.by_channel[gen.channels()[static_cast<size_t>(c)]] =
          std::move(group[static_cast<size_t>(c)]);
    }
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
  Poco::Net::HTTPServer server(new Factory(bodies, burst_after), socket, params);
  server.start();
  std::printf("port %u\n", static_cast<unsigned>(socket.address().port()));
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.stopAll(true);
  return 0;
}
