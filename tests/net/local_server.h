#pragma once

// LocalServer: a real Poco HTTP(S) server on 127.0.0.1, port 0, whose requests are answered by a
// test-supplied function. It counts accepted connections (keep-alive checks) and owns a Gate that
// handlers may block on; the destructor opens the gate before stopping, so a stalled handler
// never hangs the test.

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace presenced::testing {

// Gate: handlers Wait() until the test calls Open().
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;  // guards open_
  std::condition_variable cv_;
  bool open_ = false;
};

class LocalServer {
 public:
  using Handler =
      std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

  // Plain HTTP when `tls` is null, else HTTPS with that server context.
  explicit LocalServer(Handler handler, Poco::Net::Context::Ptr tls = nullptr)
      : pool_(2, 8), handler_(std::move(handler)), is_tls_(tls != nullptr) {
    Poco::Net::SocketAddress address("127.0.0.1", 0);
    Poco::Net::ServerSocket socket =
        tls ? Poco::Net::SecureServerSocket(address, 64, tls) : Poco::Net::ServerSocket(address);
    auto params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), pool_, socket, params);
    server_->start();
  }

  ~LocalServer() {
    gate_.Open();
    server_->stopAll(true);
    pool_.joinAll();
  }

  uint16_t port() const { return server_->port(); }
  int connections() const { return server_->totalConnections(); }
  Gate& gate() { return gate_; }
  std::string Url(const std::string& target, const std::string& host = "127.0.0.1") const {
    return (is_tls_ ? "https://" : "http://") + host + ":" + std::to_string(port()) + target;
  }

 private:
  class Handle final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handle(LocalServer* server) : server_(server) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      server_->handler_(request, response);
    }

   private:
    LocalServer* server_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(LocalServer* server) : server_(server) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handle(server_);
    }

   private:
    LocalServer* server_;
  };

  Poco::ThreadPool pool_;
  Handler handler_;
  Gate gate_;
  const bool is_tls_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace presenced::testing
