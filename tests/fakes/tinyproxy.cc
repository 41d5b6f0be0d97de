#include "tinyproxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

namespace presenced::testing {
namespace {

constexpr const char* kBinary = "/usr/bin/tinyproxy";

// A port that was free a moment ago (bound to 127.0.0.1:0, then released).
uint16_t FreePort() {
  const BoundPort bound;
  return bound.port();
}

// True when something accepts TCP connections on 127.0.0.1:port.
bool Accepts(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return connected;
}

}  // namespace

bool TinyProxy::Available() { return std::filesystem::exists(kBinary); }

TinyProxy::TinyProxy(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

TinyProxy::~TinyProxy() {
  if (process_) process_->Signal(SIGTERM);
}

bool TinyProxy::Start() {
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreePort();
    std::string config = "Port " + std::to_string(port_) +
                         "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\nAllow 127.0.0.1\n"
                         "LogLevel Connect\nLogFile \"" +
                         dir_.path() + "/tinyproxy.log\"\n";
    if (!user_.empty()) config += "BasicAuth " + user_ + " " + password_ + "\n";
    const std::string path = dir_.WriteFile("tinyproxy.conf", config);
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{kBinary, "-d", "-c", path});
    // Up once it accepts connections; an exit means the port was taken meanwhile: try another.
    if (WaitFor([&] { return Accepts(port_) || !process_->Running(); })) {
      if (process_->Running()) return true;
    }
    error_ = "tinyproxy did not start on port " + std::to_string(port_) + ": " +
             process_->Stderr() + Log();
    process_.reset();
  }
  return false;
}

std::string TinyProxy::Url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string TinyProxy::Log() const { return ReadFile(dir_.path() + "/tinyproxy.log"); }

}  // namespace presenced::testing
