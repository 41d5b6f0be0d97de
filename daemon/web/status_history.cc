#include "web/status_history.h"

#include <algorithm>

namespace presenced {
namespace {

constexpr int64_t kMinuteMs = 60'000;

int64_t MinuteOf(int64_t unix_ms) { return unix_ms / kMinuteMs; }

}  // namespace

LastHour::Bucket& LastHour::At(int64_t now_ms) {
  const int64_t minute = MinuteOf(now_ms);
  Bucket& bucket = buckets_[static_cast<size_t>(minute % kMinutes)];
  if (bucket.minute != minute) {
    bucket = Bucket{};
    bucket.minute = minute;
  }
  return bucket;
}

bool LastHour::Recent(const Bucket& b, int64_t now_ms) {
  const int64_t now = MinuteOf(now_ms);
  return b.minute >= 0 && b.minute <= now && now - b.minute < kMinutes;
}

void LastHour::AddEvents(int64_t now_ms, Action action, uint64_t count) {
  At(now_ms).events[action] += count;
}

void LastHour::AddCycle(int64_t now_ms, uint64_t members,
                        const std::vector<ErrorCodeCount>& errors) {
  Bucket& bucket = At(now_ms);
  bucket.sampled = true;
  bucket.members = members;
  for (const ErrorCodeCount& error : errors) {
    const bool known = bucket.errors.contains(error.code);
    const int code = known || bucket.errors.size() < kMaxCodesPerMinute ? error.code : kOtherCodes;
    ErrorCodeCount& tally = bucket.errors[code];
    tally.code = code;
    tally.count += error.count;
    tally.message = code == kOtherCodes ? "other codes" : error.message;
  }
}

std::vector<LastHour::Minute> LastHour::Minutes(int64_t now_ms) const {
  std::vector<Minute> minutes(kMinutes);
  const int64_t last = MinuteOf(now_ms);
  for (int i = 0; i < kMinutes; ++i) {
    const int64_t minute = last - (kMinutes - 1) + i;
    Minute& m = minutes[static_cast<size_t>(i)];
    m.start_ms = minute * kMinuteMs;
    if (minute < 0) continue;
    const Bucket& b = buckets_[static_cast<size_t>(minute % kMinutes)];
    if (b.minute != minute) continue;
    m.sampled = b.sampled;
    m.members = b.members;
    for (const auto& [action, count] : b.events) m.events += count;
  }
  return minutes;
}

std::map<Action, uint64_t> LastHour::EventsByAction(int64_t now_ms) const {
  std::map<Action, uint64_t> total;
  for (const Bucket& b : buckets_) {
    if (!Recent(b, now_ms)) continue;
    for (const auto& [action, count] : b.events) total[action] += count;
  }
  return total;
}

std::vector<ErrorCodeCount> LastHour::ErrorsByCode(int64_t now_ms) const {
  // Buckets are visited oldest first, so the message kept for a code is its newest.
  std::vector<const Bucket*> recent;
  for (const Bucket& b : buckets_) {
    if (Recent(b, now_ms)) recent.push_back(&b);
  }
  std::sort(recent.begin(), recent.end(),
            [](const Bucket* a, const Bucket* b) { return a->minute < b->minute; });
  std::map<int, ErrorCodeCount> total;
  for (const Bucket* b : recent) {
    for (const auto& [code, error] : b->errors) {
      ErrorCodeCount& tally = total[code];
      tally.code = code;
      tally.count += error.count;
      tally.message = error.message;
    }
  }
  std::vector<ErrorCodeCount> out;
  for (auto& [code, error] : total) out.push_back(std::move(error));
  std::stable_sort(out.begin(), out.end(), [](const ErrorCodeCount& a, const ErrorCodeCount& b) {
    return a.count > b.count;
  });
  return out;
}

}  // namespace presenced
