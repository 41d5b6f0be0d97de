#include "fake_ably/fake_ably_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <stdexcept>

#include "fake_ably/ably_api.h"
#include "fake_ably/control_api.h"

namespace presenced::testing {
namespace {

constexpr int kMaxThreads = 8;

// Converts a Poco request into a FakeRequest, lets the API or the control API answer it and
// writes the FakeResponse back (truncating it when asked to).
class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(AblyApi& api, ControlApi& control) : api_(api), control_(control) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    try {
      FakeRequest fake;
      fake.method = request.getMethod();
      const std::string& uri = request.getURI();
      const auto question = uri.find('?');
      fake.path = uri.substr(0, question);
      if (question != std::string::npos) fake.query = uri.substr(question + 1);
      for (const auto& [name, value] : request) fake.headers.emplace_back(name, value);
      if (fake.method == "POST" || fake.method == "PUT") {
        Poco::StreamCopier::copyToString(request.stream(), fake.body);
      }
      const FakeResponse answer = fake.path.starts_with("/_fake/") ? control_.Handle(fake)
                                  : fake.path == "/auth"           ? api_.HandleAuthUrl(fake)
                                                                   : api_.Handle(fake);
      Write(answer, request, response);
    } catch (const Poco::Exception&) {
      // The client went away (or Stop() closed the socket): nothing left to answer.
    } catch (const std::exception&) {
    }
  }

 private:
  static void Write(const FakeResponse& answer, Poco::Net::HTTPServerRequest& request,
                    Poco::Net::HTTPServerResponse& response) {
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    for (const auto& [name, value] : answer.headers) response.set(name, value);
    if (!answer.body.empty()) response.setContentType(answer.content_type);
    if (answer.reset) {
      // Half the body, then an RST: linger 0 makes close() reset the connection.
      response.setKeepAlive(false);
      response.setContentLength64(static_cast<Poco::Int64>(answer.body.size()));
      std::ostream& out = response.send();
      out.write(answer.body.data(), static_cast<std::streamsize>(answer.body.size() / 2));
      out.flush();
      Poco::Net::StreamSocket& socket =
          static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket();
      socket.setLinger(true, 0);
      socket.close();
      return;
    }
    if (!answer.truncate) {
      response.sendBuffer(answer.body.data(), answer.body.size());
      return;
    }
    // Announce everything, deliver half, and close the connection so the client sees EOF.
    response.setKeepAlive(false);
    response.setContentLength64(static_cast<Poco::Int64>(answer.body.size()));
    std::ostream& out = response.send();
    out.write(answer.body.data(), static_cast<std::streamsize>(answer.body.size() / 2));
    out.flush();
  }

  AblyApi& api_;
  ControlApi& control_;
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HandlerFactory(AblyApi& api, ControlApi& control) : api_(api), control_(control) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(api_, control_);
  }

 private:
  AblyApi& api_;
  ControlApi& control_;
};

}  // namespace

FakeAblyServer::FakeAblyServer(Options options)
    : options_(std::move(options)),
      state_(options_, clock_),
      rules_(clock_),
      api_(std::make_unique<AblyApi>(state_, rules_, options_, clock_)),
      control_(std::make_unique<ControlApi>(state_, rules_, clock_)) {}

FakeAblyServer::~FakeAblyServer() { Stop(); }

uint16_t FakeAblyServer::Start() {
  if (server_) return port_;
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(options_.host, options_.port), /*reuseAddress=*/true);
    socket.listen(128);
    port_ = socket.address().port();

    auto params = Poco::makeAuto<Poco::Net::HTTPServerParams>();
    params->setMaxThreads(kMaxThreads);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(15, 0));
    params->setServerName("fake_ably");

    pool_ = std::make_unique<Poco::ThreadPool>(2, kMaxThreads * 2, 60, 0);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        Poco::makeShared<HandlerFactory>(*api_, *control_), *pool_, socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    server_.reset();
    throw std::runtime_error("fake_ably: cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + ": " + e.displayText());
  }
  return port_;
}

void FakeAblyServer::Stop() {
  state_.Shutdown();
  rules_.Shutdown();
  if (!server_) return;
  server_->stopAll(/*abortCurrent=*/true);
  pool_->joinAll();
  server_.reset();
}

std::string FakeAblyServer::BaseUrl() const {
  return "http://" + options_.host + ":" + std::to_string(port_);
}

std::string FakeAblyServer::Enter(const std::string& channel, const std::string& client_id,
                                  const std::string& connection_id,
                                  const std::string& data_raw_json, const std::string& encoding) {
  return state_.Enter(channel, client_id, connection_id, data_raw_json, encoding);
}

std::string FakeAblyServer::Update(const std::string& channel, const std::string& client_id,
                                   const std::string& connection_id,
                                   const std::string& data_raw_json, const std::string& encoding) {
  return state_.Update(channel, client_id, connection_id, data_raw_json, encoding);
}

bool FakeAblyServer::Leave(const std::string& channel, const std::string& client_id,
                           const std::string& connection_id) {
  return state_.Leave(channel, client_id, connection_id);
}

size_t FakeAblyServer::MemberCount(const std::string& channel) const {
  return state_.MemberCount(channel);
}

std::vector<std::string> FakeAblyServer::ActiveChannels() const { return state_.ActiveChannels(); }

void FakeAblyServer::SetChannelError(const std::string& channel, int code, int status_code,
                                     const std::string& message) {
  state_.SetChannelError(channel, code, status_code, message);
}

void FakeAblyServer::FailNextRequests(int count, int status, int code, bool headers_only,
                                      const std::string& message) {
  state_.FailNextRequests(count, InjectedFailure{status, code, headers_only, message, "", ""});
}

void FakeAblyServer::SetDelay(std::chrono::milliseconds delay) { state_.SetDelay(delay); }
void FakeAblyServer::TruncateNextResponses(int count) { state_.TruncateNextResponses(count); }
void FakeAblyServer::GarbageNextResponses(int count) { state_.GarbageNextResponses(count); }
void FakeAblyServer::InsertEmptyPages(int count) { state_.InsertEmptyPages(count); }
void FakeAblyServer::SetMaxChannels(size_t max_channels) { state_.SetMaxChannels(max_channels); }
void FakeAblyServer::FailNextRequests(int count, InjectedFailure failure) {
  state_.FailNextRequests(count, std::move(failure));
}
void FakeAblyServer::AddMembers(const std::string& channel, int count, const std::string& prefix) {
  for (int i = 0; i < count; ++i) {
    state_.Enter(channel, prefix + std::to_string(i), "c" + std::to_string(i), "", "");
  }
}
void FakeAblyServer::SetHistoryRetention(std::chrono::milliseconds retention) {
  state_.SetHistoryRetention(retention);
}
uint64_t FakeAblyServer::HistoryRecorded(int action) const {
  return state_.HistoryRecorded(action);
}
FakeBill FakeAblyServer::Bill() const { return state_.Bill(); }
size_t FakeAblyServer::RequestCount() const { return state_.RequestCount(); }
std::vector<RecordedRequest> FakeAblyServer::Requests() const { return state_.Requests(); }
void FakeAblyServer::Reset() {
  state_.Reset();
  rules_.Reset();
  clock_.SetOffset(std::chrono::milliseconds(0));
  clock_.SetVisibilityDelay(std::chrono::milliseconds(0));
}

}  // namespace presenced::testing
