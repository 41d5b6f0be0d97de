#pragma once

// Helpers for tests: condition waits with a deadline (never a bare sleep), temporary directories,
// and ChildProcess, which runs a real binary (presenced, fake_ably) with captured output.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace presenced::testing {

// Polls `condition` until it returns true or `deadline` passes; returns its last value.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds deadline = std::chrono::seconds(15));

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string WriteFile(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// Reads a whole file; "" when it cannot be read.
std::string ReadFile(const std::string& path);

// A TCP port on 127.0.0.1 that is bound but not listening: connecting to it is refused, and no
// other process can take the port while this object lives (unlike binding, closing and reusing).
class BoundPort {
 public:
  BoundPort();
  ~BoundPort();
  BoundPort(const BoundPort&) = delete;
  BoundPort& operator=(const BoundPort&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// ChildProcess runs `argv[0]` with arguments, the current environment plus `env` overrides, and
// stdout/stderr captured by reader threads. The destructor kills (SIGKILL) and reaps it.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signo) const;
  // Waits for exit up to `deadline`; returns the exit code (128+signal if killed), nullopt on
  // timeout.
  std::optional<int> Wait(std::chrono::milliseconds deadline);
  bool Running();

  // Everything captured so far.
  std::string Stdout() const;
  std::string Stderr() const;
  // Captured stdout split into complete lines.
  std::vector<std::string> StdoutLines() const;
  // Waits until stderr contains `needle`; returns the text from the match to the end of its line.
  std::optional<std::string> WaitForStderr(const std::string& needle,
                                           std::chrono::milliseconds deadline);

 private:
  void Reap(int status);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mu_;  // guards out_, err_
  std::string out_, err_;
  std::thread out_reader_, err_reader_;
};

}  // namespace presenced::testing
