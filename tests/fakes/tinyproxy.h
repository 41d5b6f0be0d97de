#pragma once

// TinyProxy: a real HTTP proxy (Debian's tinyproxy) for the proxy tests, started on a free port
// of 127.0.0.1 with its log in a temp dir. It logs every request it is sent ("Request (file
// descriptor N): CONNECT localhost:443 HTTP/1.1"), so a test can tell what went through it.
// Optional basic auth. tinyproxy cannot report a port it chose itself, so the port is found by
// binding port 0 and releasing it, and another is tried if the proxy then cannot listen on it.

#include <cstdint>
#include <memory>
#include <string>

#include "test_support.h"

namespace presenced::testing {

class TinyProxy {
 public:
  // True when the tinyproxy binary is installed (scripts/install-deps.sh installs it).
  static bool Available();

  // `user`/`password` non-empty: requests need Proxy-Authorization: Basic with them.
  explicit TinyProxy(std::string user = "", std::string password = "");
  ~TinyProxy();

  // Starts the proxy; false (with the reason in error()) when it does not come up.
  bool Start();
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string Url() const;
  // The proxy's log so far.
  std::string Log() const;
  const std::string& error() const { return error_; }

 private:
  TempDir dir_;
  std::string user_, password_;
  uint16_t port_ = 0;
  std::string error_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace presenced::testing
