#include "kafka_mock/kafka_mock_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace presenced::testing {

KafkaMockProcess::KafkaMockProcess(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {KAFKA_MOCK_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  process_ = std::make_unique<ChildProcess>(argv);
  const bool up = WaitFor([&] {
    for (const std::string& line : process_->StdoutLines()) {
      if (line.starts_with("bootstrap ")) bootstrap_ = line.substr(10);
      if (line.starts_with("control ")) control_port_ = std::stoi(line.substr(8));
    }
    return !bootstrap_.empty() && control_port_ != 0;
  });
  if (!up) throw std::runtime_error("kafka_mock did not start: " + process_->Stderr());
}

KafkaMockProcess::~KafkaMockProcess() {
  process_->Signal(SIGTERM);
  process_->Wait(std::chrono::seconds(10));
}

std::string KafkaMockProcess::Command(const std::string& line) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(control_port_));
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request = line + "\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char c;
      while (::read(fd, &c, 1) == 1 && c != '\n') reply += c;
    }
  }
  ::close(fd);
  return reply;
}

}  // namespace presenced::testing
