#include "web/guarded_connection.h"

#include <Poco/Exception.h>
#include <Poco/Net/SecureStreamSocket.h>

namespace presenced {
namespace {

// Poco's HTTP connection, admitted and tracked by the ConnectionGuard for its whole life, and
// made TLS (handshake on this connection's thread, under the guard's header deadline) when
// http.tls is set at the time it was accepted.
class GuardedConnection final : public Poco::Net::HTTPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory, ConnectionGuard& guard,
                    SecurityHolder& security, Poco::Timespan handshake_timeout)
      : HTTPServerConnection(socket, std::move(params), std::move(factory)),
        guard_(guard),
        security_(security),
        handshake_timeout_(handshake_timeout) {}

  void run() override {
    const Poco::Net::StreamSocket plain = socket();  // what the guard tracks (and shuts down)
    if (!guard_.Admit(plain)) return;                // over the per-client limit: closed unanswered
    struct Release {
      ConnectionGuard& guard;
      const Poco::Net::StreamSocket& socket;
      ~Release() { guard.Release(socket); }
    } release{guard_, plain};
    if (const Poco::Net::Context::Ptr tls = security_.Get()->tls) {
      try {
        socket().setReceiveTimeout(handshake_timeout_);
        socket() = Poco::Net::SecureStreamSocket::attach(plain, tls);
      } catch (const Poco::Exception&) {
        return;  // no TLS handshake (plain HTTP, no or a bad client certificate): closed
      }
    }
    HTTPServerConnection::run();
  }

 private:
  ConnectionGuard& guard_;
  SecurityHolder& security_;
  const Poco::Timespan handshake_timeout_;
};

}  // namespace

Poco::Net::TCPServerConnection* ConnectionFactory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new GuardedConnection(socket, params_, factory_, guard_, security_, params_->getTimeout());
}

}  // namespace presenced
