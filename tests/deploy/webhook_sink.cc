// webhook_sink: the test webhook receiver as a program, for the boot test (inside a container,
// where the receiver must be a process of its own).
//
//   webhook_sink PORT FILE
//
// Listens on 127.0.0.1:PORT (0 = any), prints `webhook_sink listening on 127.0.0.1:<port>`,
// answers every request 200 and appends each request body to FILE as one line (bodies are JSON,
// so they hold no raw newline). Stops on SIGTERM/SIGINT (exit 0); a bad command line exits 2.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "webhook_receiver.h"

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

  presenced::testing::WebhookReceiver receiver;
  const uint16_t port = receiver.Start(static_cast<uint16_t>(std::atoi(argv[1])));
  std::ofstream out(argv[2], std::ios::app);
  std::printf("webhook_sink listening on 127.0.0.1:%u\n", port);
  std::fflush(stdout);

  size_t written = 0;
  const timespec poll_period{0, 100'000'000};
  while (sigtimedwait(&stop_signals, nullptr, &poll_period) < 0) {
    const auto requests = receiver.Requests();
    for (; written < requests.size(); ++written) out << requests[written].body << '\n';
    out.flush();
  }
  return 0;
}
