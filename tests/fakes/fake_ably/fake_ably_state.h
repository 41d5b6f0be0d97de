#pragma once

// FakeAblyState: everything the fake Ably server knows — the presence members of each channel,
// the injected failures and the log of received requests — behind one mutex.
//
// Thread-safety: every public method may be called from any thread. A single mutex (`mu_`)
// guards all state, so a response is rendered from one consistent view of the members; the
// condition variable `cv_` (used with `mu_`) wakes requests waiting out an injected delay when
// Shutdown() is called. Rendering 10,000 members takes a few milliseconds, which bounds how long
// the lock is held.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fake_ably/ably_clock.h"
#include "fake_ably/fake_types.h"
#include "fake_ably/presence_history.h"

namespace presenced::testing {

// What the fake has billed so far, like Ably: one message per presence member returned by a
// presence query (batch or per channel) and one per presence history item returned.
struct FakeBill {
  uint64_t snapshot = 0;
  uint64_t history = 0;
};

// A whole-request failure to inject.
struct InjectedFailure {
  int status = 500;
  int code = 50000;
  bool headers_only = false;  // X-Ably-ErrorCode / X-Ably-ErrorMessage instead of a JSON body
  std::string message = "Injected failure";
  std::string retry_after;  // Retry-After header value, "" = none
  std::string server;       // Server header value (e.g. "CloudFront"), "" = the fake's own
};

class FakeAblyState {
 public:
  // `clock` (Ably's time: every timestamp and every history comparison) must outlive it.
  FakeAblyState(const FakeAblyOptions& options, const FakeAblyClock& clock);

  // Members. A member is (channel, clientId, connectionId). Enter and Update store the data (raw
  // JSON text, emitted verbatim; "" omits `data`) with a new message id
  // `<connectionId>:<serial>:0`, the serial growing per connection, and return that id. Enter of a
  // present member and Update of an absent one behave like the other. Every change is recorded in
  // the presence history (enter 2 for a new member, update 4 for a present one, leave 3 with the
  // member's last data and a serial of its own), with the id and timestamp the member then shows.
  std::string Enter(const std::string& channel, const std::string& client_id,
                    const std::string& connection_id, const std::string& data_raw,
                    const std::string& encoding);
  std::string Update(const std::string& channel, const std::string& client_id,
                     const std::string& connection_id, const std::string& data_raw,
                     const std::string& encoding);
  // Removes the member; returns false if it was not present.
  bool Leave(const std::string& channel, const std::string& client_id,
             const std::string& connection_id);
  size_t MemberCount(const std::string& channel) const;
  // Returns the channels that have at least one member, sorted.
  std::vector<std::string> ActiveChannels() const;

  // Failure injection (see FakeAblyServer for the meaning of each).
  void SetChannelError(const std::string& channel, int code, int status_code,
                       const std::string& message);
  void FailNextRequests(int count, InjectedFailure failure);
  void SetDelay(std::chrono::milliseconds delay);
  void TruncateNextResponses(int count);
  void GarbageNextResponses(int count);
  void InsertEmptyPages(int count);
  void SetMaxChannels(size_t max_channels);
  size_t max_channels() const;

  // Used by the request handlers. WaitDelay waits out the injected delay; it returns false if
  // Shutdown() cut it short. The Take* methods consume one unit of an injected failure.
  bool WaitDelay();
  std::optional<InjectedFailure> TakeFailure();
  bool TakeTruncate();
  bool TakeGarbage();
  bool TakeEmptyPage();

  // Appends the comma-separated batch items (`{"channel","presence"}` or `{"channel","error"}`)
  // for `channels` to `out`; a channel `denied` says the credentials may not read gets
  // 401/40160. Returns the number of failed channels.
  size_t RenderBatchItems(const std::vector<std::string>& channels, std::string& out,
                          const std::function<bool(const std::string&)>& denied) const;
  // Appends the JSON array of members [offset, offset+limit) of `channel` to `out`; returns the
  // member count of the channel. A channel error, if set, is returned in `error` instead.
  size_t RenderMembers(const std::string& channel, size_t offset, size_t limit, std::string& out,
                       std::optional<std::pair<int, int>>& error) const;
  // Returns up to `limit` active channel names starting with `prefix` and sorting after
  // `after` ("" = from the start), and whether more follow.
  std::pair<std::vector<std::string>, bool> ListChannels(const std::string& prefix,
                                                         const std::string& after,
                                                         size_t limit) const;

  // Presence history: appends the JSON items of one page of `channel`'s history to `out` (see
  // PresenceHistory::Query) and bills them; returns the page (its `messages` are not to be used).
  // Only messages older than the clock's visibility delay are readable, and retention is applied
  // at the moment of the request, both on Ably's clock. A channel error, if set, is returned in
  // `error` instead.
  HistoryPage RenderHistory(const std::string& channel, int64_t start_ms, int64_t end_ms,
                            bool forwards, size_t limit, uint64_t cursor, std::string& out,
                            std::optional<std::pair<int, int>>& error);
  // How long history is kept (PresenceHistory::kDefaultRetention unless set).
  void SetHistoryRetention(std::chrono::milliseconds retention);
  // History messages recorded since the start or the last Reset, by action (2, 3, 4).
  uint64_t HistoryRecorded(int action) const;
  FakeBill Bill() const;

  void Record(RecordedRequest request);
  std::vector<RecordedRequest> Requests() const;
  size_t RequestCount() const;

  // Forgets members, failures, delay and recorded requests; restores the options' limit.
  void Reset();
  // Wakes every WaitDelay() and makes later ones return false immediately.
  void Shutdown();

 private:
  struct Member {
    std::string client_id, connection_id, data_raw, encoding, id;
    int64_t timestamp_ms = 0;
  };
  struct ChannelError {
    int code = 0, status_code = 0;
    std::string message;
  };
  struct ConnectionInfo {
    uint64_t next_serial = 0;
    size_t members = 0;
  };
  using MemberKey = std::pair<std::string, std::string>;  // (clientId, connectionId)

  std::string StoreLocked(const std::string& channel, const std::string& client_id,
                          const std::string& connection_id, const std::string& data_raw,
                          const std::string& encoding);
  std::string NextIdLocked(const std::string& connection_id, bool new_member);
  void AppendMemberLocked(const Member& m, std::string& out) const;
  void RecordHistoryLocked(const std::string& channel, int action, const Member& m);

  const FakeAblyOptions options_;
  const FakeAblyClock& clock_;
  mutable std::mutex mu_;  // guards every field below
  std::condition_variable cv_;
  bool shutting_down_ = false;
  std::map<std::string, std::map<MemberKey, Member>> channels_;  // only non-empty channels
  std::unordered_map<std::string, ConnectionInfo> connections_;
  std::map<std::string, ChannelError> channel_errors_;
  int fail_count_ = 0;
  InjectedFailure failure_;
  std::chrono::milliseconds delay_{0};
  int truncate_count_ = 0;
  int garbage_count_ = 0;
  int empty_pages_ = 0;
  size_t max_channels_;
  PresenceHistory history_;
  mutable FakeBill bill_;  // counted while rendering
  std::deque<RecordedRequest> requests_;
  size_t request_count_ = 0;
};

}  // namespace presenced::testing
