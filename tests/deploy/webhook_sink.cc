// webhook_sink: a webhook receiver as a program, for the boot test (inside a container, on a port
// its units know in advance).
//
//   webhook_sink PORT FILE
//
// Listens on 127.0.0.1:PORT (0 = any), prints `webhook_sink listening on 127.0.0.1:<port>`,
// answers every request 200 and appends each request body to FILE as one line (bodies are JSON,
// so they hold no raw newline). Stops on SIGTERM/SIGINT (exit 0); a bad command line exits 2.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>

namespace {

class Sink final : public Poco::Net::HTTPRequestHandler {
 public:
  Sink(std::ofstream& out, std::mutex& mu) : out_(out), mu_(mu) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    std::string body((std::istreambuf_iterator<char>(request.stream())),
                     std::istreambuf_iterator<char>());
    {
      std::lock_guard lock(mu_);
      out_ << body << '\n';
      out_.flush();
    }
    response.setContentLength(0);
    response.send();
  }

 private:
  std::ofstream& out_;
  std::mutex& mu_;  // guards out_
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const char* path) : out_(path, std::ios::app) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Sink(out_, mu_);
  }

 private:
  std::ofstream out_;
  std::mutex mu_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: webhook_sink PORT FILE\n");
    return 2;
  }
  // Block the stop signals in every thread (the server's too); the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<uint16_t>(std::atoi(argv[1]))),
              true);
  socket.listen(64);
  Poco::Net::HTTPServer server(new Factory(argv[2]), socket, new Poco::Net::HTTPServerParams);
  server.start();
  std::printf("webhook_sink listening on 127.0.0.1:%u\n", socket.address().port());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.stopAll(true);
  return 0;
}
