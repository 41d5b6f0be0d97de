#pragma once

// RunContained: runs a piece of work in a forked child process held to a memory and a time bound,
// and says how it ended. The config loader parses every file this way first, because yaml-cpp
// 0.7 has inputs on which it loops forever or allocates without end: such a file must become a
// config error, never a hung or killed daemon, reload, `--check-config` or ExecStartPre.
// Internal to the config module (and its tests and fuzz target).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace presenced::config_internal {

struct Bounds {
  uint64_t memory_bytes = 256ull << 20;  // beyond the resident memory of the caller at the fork
  Duration time{5'000};                  // wall-clock time until the child is killed
};

struct Contained {
  enum class Kind {
    kOk,           // the work returned Ok
    kFailed,       // the work returned an Error; `message` is it
    kOutOfMemory,  // it used more than Bounds::memory_bytes and was stopped
    kTimedOut,     // it ran longer than Bounds::time and was killed
    kCrashed,      // the child died otherwise; `message` says how
  };
  Kind kind = Kind::kCrashed;
  std::string message;
};

// Runs `work` in a child process (fork, no exec) and returns how it ended. Only the Status comes
// back, so the caller repeats the work in process when it needs the result: the child has shown
// that this finishes within the bounds. The memory bound is enforced twice: RLIMIT_AS in the
// child (where the kernel allows it and no sanitizer reserves the address space) and the
// child's resident set, watched by the caller. Callable from any thread; blocks for at most
// `bounds.time` plus the time to reap the child.
Contained RunContained(const Bounds& bounds, const std::function<Status()>& work);

// Runs the program `argv` (argv[0] is its path) in a child process with `input` on its standard
// input, held to the same bounds and watched the same way; the program answers with
// ServeContained. Unlike RunContained, this is safe in a process with other threads: a fork
// without exec may copy a lock another thread held at that instant (a malloc arena's, ASan's
// allocator's) and the child then waits for it forever. Between the fork and the exec the child
// only makes async-signal-safe calls. The memory bound applies above the new program's own size
// (a fixed 64 MiB allowance).
Contained RunContainedProgram(const Bounds& bounds, const std::vector<std::string>& argv,
                              std::string_view input);

// The program side of RunContainedProgram: bounds this process, runs `work`, writes the answer
// to standard output and exits.
[[noreturn]] void ServeContained(const Bounds& bounds, const std::function<Status()>& work);

}  // namespace presenced::config_internal
