#pragma once

// The connections of HttpServer (http_server.cc): GuardedConnection is Poco's HTTP connection,
// admitted and tracked by the ConnectionGuard for its whole life, and made TLS when http.tls is set
// at the time it was accepted (the handshake runs on the connection's thread, under the guard's
// header deadline); ConnectionFactory makes one per accepted socket. Internal to the web module.

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Timespan.h>

#include "web/connection_guard.h"
#include "web/http_security.h"

namespace presenced {

// Makes a GuardedConnection for every socket the server accepts.
class ConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  ConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory, ConnectionGuard& guard,
                    SecurityHolder& security)
      : params_(std::move(params)),
        factory_(std::move(factory)),
        guard_(guard),
        security_(security) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

 private:
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
  ConnectionGuard& guard_;
  SecurityHolder& security_;
};

}  // namespace presenced
