// Hostile `Link` headers on presence history pages: a proxy in front of the fake Ably makes every
// history page one message long and rewrites its next link to point back at itself, or out of
// the history resource (`../`). presenced follows neither, says why in its log (with the
// channel), and still reports every change: a failed history read is healed by a reconcile.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>

#include "ably_test_support.h"
#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "net/local_server.h"

namespace presenced::testing {
namespace {

// Forwards every request to `fake`; on history pages it applies the chosen hostility.
class HistoryProxy {
 public:
  enum class Mode { kPass, kSelf, kEscape };

  explicit HistoryProxy(const FakeAblyServer& fake)
      : fake_(fake),
        server_([this](Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) { Forward(request, response); }) {}

  std::string Url() const { return server_.Url(""); }
  void Set(Mode mode) { mode_ = mode; }
  int history_requests() const { return history_requests_; }

 private:
  void Forward(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) {
    // Dot segments resolved, as Ably's edge (any HTTP server) resolves them.
    Poco::URI normalized(in.getURI());
    normalized.normalize();
    std::string uri = normalized.getPathAndQuery();
    const bool history = uri.find("/presence/history") != std::string::npos;
    const Mode mode = mode_;
    if (history) {
      ++history_requests_;
      if (mode != Mode::kPass) {
        const size_t at = uri.find("limit=1000");
        if (at != std::string::npos) uri.replace(at, 10, "limit=1");
      }
    }
    Poco::Net::HTTPClientSession session("127.0.0.1", fake_.port());
    Poco::Net::HTTPRequest request(in.getMethod(), uri, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : in) {
      if (name != "Host" && name != "Connection") request.set(name, value);
    }
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    out.setStatusAndReason(response.getStatus(), response.getReason());
    for (const auto& [name, value] : response) {
      if (name == "Content-Length" || name == "Transfer-Encoding" || name == "Connection") continue;
      if (history && name == "Link" && mode != Mode::kPass) continue;
      out.set(name, value);
    }
    if (history && mode == Mode::kSelf) {
      out.set("Link", "<" + in.getURI() + ">; rel=\"next\"");
    } else if (history && mode == Mode::kEscape && response.has("Link")) {
      // Out of /channels/room/presence/history, onto the enumeration, which answers [].
      out.set("Link", "<../../../channels?prefix=none&by=id>; rel=\"next\"");
    }
    out.sendBuffer(body.data(), body.size());
  }

  const FakeAblyServer& fake_;  // started after the proxy is made
  std::atomic<Mode> mode_{Mode::kPass};
  std::atomic<int> history_requests_{0};
  LocalServer server_;
};

class HistoryLinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.Start();
    fake_.Enter("room", "bob", "kb", R"("1")");
  }

  // History mode through the proxy, with no periodic reconcile to hide a lost change.
  std::string Config() const {
    return "ably:\n  endpoint: " + proxy_.Url() +
           "\n  request_timeout: 3s\npoll:\n  interval: 200ms\noutput:\n  stdout: true\n"
           "channels: [room]\npresence:\n  mode: history\n  reconcile_every: 1000\n";
  }

  FakeAblyServer fake_{FakeOptions()};
  HistoryProxy proxy_{fake_};
  TempDir dir_;
};

TEST_F(HistoryLinksTest, ALinkOutOfTheHistoryResourceIsNotFollowedAndNothingIsLost) {
  DaemonHarness daemon(dir_, Config());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  proxy_.Set(HistoryProxy::Mode::kEscape);
  // Two messages in one window: the first page holds carol's, its next link leaves the resource.
  fake_.Enter("room", "carol", "kc", R"("2")");
  fake_.Enter("room", "dave", "kd", R"("3")");
  EXPECT_TRUE(WaitFor([&] {
    return Printed(daemon.process(), "enter room carol") &&
           Printed(daemon.process(), "enter room dave");
  })) << daemon.process().Stdout();
  const std::string log = daemon.process().Stderr();
  EXPECT_NE(log.find("presence history of channel room"), std::string::npos) << log;
  EXPECT_NE(log.find("leaves"), std::string::npos) << log;
  EXPECT_EQ(PrintedEvents(daemon.process()).size(), 2u) << daemon.process().Stdout();
}

TEST_F(HistoryLinksTest, ALinkToItselfIsFollowedOnce) {
  DaemonHarness daemon(dir_, Config());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  proxy_.Set(HistoryProxy::Mode::kSelf);
  ASSERT_TRUE(daemon.WaitCycles(1));
  const int before = proxy_.history_requests();
  fake_.Enter("room", "carol", "kc", R"("2")");
  ASSERT_TRUE(daemon.WaitCycles(5));
  // One read per cycle (each its first page and the link back to it), not 1,000 pages.
  EXPECT_LE(proxy_.history_requests() - before, 2 * 7);
  EXPECT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter room carol"); }))
      << daemon.process().Stdout();
  const std::string log = daemon.process().Stderr();
  EXPECT_NE(log.find("presence history of channel room"), std::string::npos) << log;
  EXPECT_NE(log.find("repeats"), std::string::npos) << log;
}

}  // namespace
}  // namespace presenced::testing
