#include "config/contained.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <string_view>

#if defined(__SANITIZE_ADDRESS__)
#define PRESENCED_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRESENCED_ASAN 1
#endif
#endif

namespace presenced::config_internal {
namespace {

// What a newly executed presenced takes before it does the work (RunContainedProgram's bound is
// on top of it).
constexpr uint64_t kProgramBaseline = 64ull << 20;

// How often the caller looks at the child's memory while it waits for the answer.
constexpr std::chrono::milliseconds kWatchPeriod{10};

// Returns field `index` (0: size, 1: resident) of /proc/<pid>/statm in bytes; 0 if unreadable.
uint64_t StatmBytes(const char* pid, int index) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%s/statm", pid);
  FILE* file = std::fopen(path, "re");
  if (file == nullptr) return 0;
  unsigned long long fields[2] = {0, 0};
  const int read = std::fscanf(file, "%llu %llu", &fields[0], &fields[1]);
  std::fclose(file);
  if (read != 2) return 0;
  return fields[index] * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Appends what can be read from `fd` within `timeout_ms` (0: only what is there now).
void ReadAvailable(int fd, int timeout_ms, std::string* out) {
  pollfd readable{fd, POLLIN, 0};
  while (::poll(&readable, 1, timeout_ms) > 0 && (readable.revents & POLLIN) != 0) {
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) return;
    out->append(buffer, static_cast<size_t>(n));
    timeout_ms = 0;
  }
}

// The child: bound itself, run the work, write one kind byte ('O', 'F', 'M') and the message.
[[noreturn]] void RunChild(int fd, const Bounds& bounds, const std::function<Status()>& work) {
  // Either limit may be refused (systemd's SystemCallFilter=~@resources makes setrlimit fail
  // with EPERM); the parent's watch then still holds the child.
#if !defined(PRESENCED_ASAN)
  // ASan reserves terabytes of address space for its shadow; RLIMIT_AS cannot apply there.
  const uint64_t address_space = StatmBytes("self", 0) + bounds.memory_bytes;
  const rlimit as_limit{address_space, address_space};
  ::setrlimit(RLIMIT_AS, &as_limit);
#endif
  const rlim_t cpu_seconds = static_cast<rlim_t>(bounds.time.count() / 1000 + 1);
  const rlimit cpu_limit{cpu_seconds, cpu_seconds};
  ::setrlimit(RLIMIT_CPU, &cpu_limit);
  try {
    Status status = work();
    WriteAll(fd, status.ok() ? std::string("O") : "F" + status.error().message);
  } catch (const std::bad_alloc&) {
    WriteAll(fd, "M");
  }
  ::_exit(0);  // no atexit handlers, no flushing of the parent's stdio buffers
}

// The caller's side: feeds `input` to `input_fd` (-1: none), collects the answer from
// `answer_fd`, stops the child at the bounds, reaps it and says how it ended. Closes both fds.
Contained Watch(pid_t pid, int answer_fd, int input_fd, std::string_view input,
                const Bounds& bounds, uint64_t memory_limit) {
  char pid_text[24];
  std::snprintf(pid_text, sizeof(pid_text), "%d", static_cast<int>(pid));
  const auto deadline = std::chrono::steady_clock::now() + bounds.time;
  std::string answer;
  std::optional<Contained::Kind> stopped;  // set when the caller kills the child
  int status = 0;
  bool reaped = false;
  // Wait for the child's exit, not for the pipe's end: a child forked meanwhile by another
  // thread may hold a copy of the write end.
  while (!reaped) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      stopped = Contained::Kind::kTimedOut;
    } else if (StatmBytes(pid_text, 1) > memory_limit) {
      stopped = Contained::Kind::kOutOfMemory;
    }
    if (stopped) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    const int timeout = static_cast<int>(std::min(left, kWatchPeriod).count());
    pollfd ready[2] = {{answer_fd, POLLIN, 0}, {input_fd, POLLOUT, 0}};
    ::poll(ready, input_fd >= 0 ? 2 : 1, timeout);
    if (input_fd >= 0 && ready[1].revents != 0) {
      // MSG_NOSIGNAL: a child that stopped reading must not kill the caller with SIGPIPE.
      const ssize_t n = ::send(input_fd, input.data(), input.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) input.remove_prefix(static_cast<size_t>(n));
      if (input.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        ::close(input_fd);  // the end of the input
        input_fd = -1;
      }
    }
    ReadAvailable(answer_fd, 0, &answer);
    const pid_t ended = ::waitpid(pid, &status, WNOHANG);
    // ECHILD: SIGCHLD is ignored, so the kernel reaped the child itself; its answer is complete.
    reaped = ended == pid || (ended < 0 && errno == ECHILD);
  }
  if (reaped) ReadAvailable(answer_fd, 0, &answer);  // what the child wrote just before it exited
  ::close(answer_fd);
  if (input_fd >= 0) ::close(input_fd);

  if (stopped) return {*stopped, ""};
  if (!answer.empty() && answer[0] == 'O') return {Contained::Kind::kOk, ""};
  if (!answer.empty() && answer[0] == 'F') return {Contained::Kind::kFailed, answer.substr(1)};
  if (!answer.empty() && answer[0] == 'M') return {Contained::Kind::kOutOfMemory, ""};
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
    return {Contained::Kind::kTimedOut, ""};
  }
  if (WIFSIGNALED(status)) {
    return {Contained::Kind::kCrashed, std::string("killed by signal ") +
                                           std::to_string(WTERMSIG(status)) + " (" +
                                           ::strsignal(WTERMSIG(status)) + ")"};
  }
  return {Contained::Kind::kCrashed,
          "exited with status " + std::to_string(WEXITSTATUS(status)) + " without an answer"};
}

}  // namespace

Contained RunContained(const Bounds& bounds, const std::function<Status()>& work) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return {Contained::Kind::kCrashed,
            std::string("cannot create a pipe: ") + std::strerror(errno)};
  }
  const uint64_t memory_limit = StatmBytes("self", 1) + bounds.memory_bytes;
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return {Contained::Kind::kCrashed, std::string("cannot fork: ") + std::strerror(error)};
  }
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(fds[1], bounds, work);
  }
  ::close(fds[1]);
  return Watch(pid, fds[0], -1, {}, bounds, memory_limit);
}

Contained RunContainedProgram(const Bounds& bounds, const std::vector<std::string>& argv,
                              std::string_view input) {
  // Everything the child needs is made before the fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int answer[2];
  if (::pipe2(answer, O_CLOEXEC) != 0) {
    return {Contained::Kind::kCrashed,
            std::string("cannot create a pipe: ") + std::strerror(errno)};
  }
  int feed[2];  // a socket pair, so that the caller can write with MSG_NOSIGNAL
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, feed) != 0) {
    const int error = errno;
    ::close(answer[0]);
    ::close(answer[1]);
    return {Contained::Kind::kCrashed,
            std::string("cannot create a socket pair: ") + std::strerror(error)};
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    for (int fd : {answer[0], answer[1], feed[0], feed[1]}) ::close(fd);
    return {Contained::Kind::kCrashed, std::string("cannot fork: ") + std::strerror(error)};
  }
  if (pid == 0) {
    // The child's ends become its stdin and stdout. A caller started with fds 0 and 1 closed
    // got answer = {0, 1}: dup2 of an fd onto itself keeps close-on-exec, so clear it after.
    // (answer[1] is never 0: pipe2 gives its read end the lower number.)
    if (::dup2(feed[1], STDIN_FILENO) < 0 || ::dup2(answer[1], STDOUT_FILENO) < 0 ||
        ::fcntl(STDIN_FILENO, F_SETFD, 0) < 0 || ::fcntl(STDOUT_FILENO, F_SETFD, 0) < 0) {
      ::_exit(127);
    }
    ::close_range(3, ~0U, 0);  // the caller's sockets and files without O_CLOEXEC; may be refused
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(answer[1]);
  ::close(feed[1]);
  ::shutdown(feed[0], SHUT_RD);
  return Watch(pid, answer[0], feed[0], input, bounds, bounds.memory_bytes + kProgramBaseline);
}

void ServeContained(const Bounds& bounds, const std::function<Status()>& work) {
  RunChild(STDOUT_FILENO, bounds, work);
}

}  // namespace presenced::config_internal
