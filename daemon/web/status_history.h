#pragma once

// LastHour: what the status page shows of the last hour, one bucket per minute of Unix time:
// events per action, the members counted by the minute's last cycle, and failed channel fetches
// per Ably error code. Memory is fixed: 60 buckets, at most kMaxCodesPerMinute codes in each (the
// rest count under kOtherCodes).
//
// Thread-compatible: StatusModel holds it under its mutex.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "presence/event.h"

namespace presenced {

// Failed channel fetches with one Ably error code (0: the request got no Ably code, e.g. a
// network error) and the last message seen with it.
struct ErrorCodeCount {
  int code = 0;
  uint64_t count = 0;
  std::string message;
};

class LastHour {
 public:
  static constexpr int kMinutes = 60;
  static constexpr size_t kMaxCodesPerMinute = 20;
  static constexpr int kOtherCodes = -1;

  struct Minute {
    int64_t start_ms = 0;
    bool sampled = false;  // a cycle finished in this minute (`members` is its count)
    uint64_t members = 0;
    uint64_t events = 0;
  };

  // Counts `count` events of `action` in the minute of `now_ms`.
  void AddEvents(int64_t now_ms, Action action, uint64_t count);
  // Records a finished cycle: the members it counted and its failed fetches by code.
  void AddCycle(int64_t now_ms, uint64_t members, const std::vector<ErrorCodeCount>& errors);

  // Returns the kMinutes minutes that end with the one of `now_ms`, oldest first.
  std::vector<Minute> Minutes(int64_t now_ms) const;
  // Returns the events of the last kMinutes minutes per action.
  std::map<Action, uint64_t> EventsByAction(int64_t now_ms) const;
  // Returns the failed fetches of the last kMinutes minutes per code, most frequent first.
  std::vector<ErrorCodeCount> ErrorsByCode(int64_t now_ms) const;

 private:
  struct Bucket {
    int64_t minute = -1;  // Unix minute this bucket holds; -1: none yet
    bool sampled = false;
    uint64_t members = 0;
    std::map<Action, uint64_t> events;
    std::map<int, ErrorCodeCount> errors;
  };
  // Returns the bucket of `now_ms`'s minute, emptied if it held an older minute.
  Bucket& At(int64_t now_ms);
  // Returns true when bucket `b` holds one of the kMinutes minutes ending at `now_ms`'s.
  static bool Recent(const Bucket& b, int64_t now_ms);

  std::array<Bucket, kMinutes> buckets_;
};

}  // namespace presenced
