// webhook_sink: a fast webhook receiver for the burst benchmark (bench/e2e/burst.sh). It listens
// on 127.0.0.1:0, prints "port N" on stdout once ready, and answers every POST with 200 at once,
// counting the events of each batch (`format: events` bodies: one `{"id":` per event). GET /count
// answers "events E batches B first_ms F last_ms L": the totals so far and the wall-clock times
// (ms since the epoch) at which the first and the latest batch arrived. Runs until SIGTERM or
// SIGINT.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <istream>
#include <string>
#include <string_view>

namespace presenced::bench {
namespace {

struct Counts {
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<int64_t> first_ms{0};
  std::atomic<int64_t> last_ms{0};
};

// A benchmark tool, not the daemon: the wall clock is read directly.
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t CountEvents(std::string_view body) {
  constexpr std::string_view kEventStart = "{\"id\":";
  uint64_t n = 0;
  for (size_t at = body.find(kEventStart); at != std::string_view::npos;
       at = body.find(kEventStart, at + kEventStart.size())) {
    ++n;
  }
  return n;
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Counts& counts) : counts_(counts) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      if (request.getMethod() == "GET") {
        const std::string text = "events " + std::to_string(counts_.events.load()) + " batches " +
                                 std::to_string(counts_.batches.load()) + " first_ms " +
                                 std::to_string(counts_.first_ms.load()) + " last_ms " +
                                 std::to_string(counts_.last_ms.load()) + "\n";
        response.setContentType("text/plain");
        response.sendBuffer(text.data(), text.size());
        return;
      }
      std::string body;
      body.reserve(static_cast<size_t>(std::max<std::streamsize>(request.getContentLength(), 0)));
      std::istream& in = request.stream();
      char buffer[64 * 1024];
      while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<size_t>(in.gcount()));
      }
      const int64_t now = NowMs();
      int64_t unset = 0;
      counts_.first_ms.compare_exchange_strong(unset, now);
      counts_.events += CountEvents(body);
      counts_.batches += 1;
      counts_.last_ms = now;
      response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
      response.sendBuffer("", 0);
    } catch (const std::exception&) {
      // The client went away: nothing to answer.
    }
  }

 private:
  Counts& counts_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Counts& counts) : counts_(counts) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(counts_);
  }

 private:
  Counts& counts_;
};

}  // namespace
}  // namespace presenced::bench

int main() {
  using namespace presenced::bench;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // server threads inherit the mask

  Counts counts;
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(4);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(1'000'000);
  params->setKeepAliveTimeout(Poco::Timespan(60, 0));
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::HTTPServer server(new Factory(counts), socket, params);
  server.start();
  std::printf("port %u\n", static_cast<unsigned>(socket.address().port()));
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.stopAll(true);
  return 0;
}
