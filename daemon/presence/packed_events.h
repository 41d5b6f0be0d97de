#pragma once

// PackedEvents: a channel's events of one cycle packed into one buffer, held from the diff to the
// commit and the sink. An `Event` is eight std::strings (280 bytes) plus the heap copies of the
// longer ones (the 32-byte id, the connection and message ids, the data): a burst of 2 M events
// held as Events is ~740 MB; packed, each event is its bytes plus one byte per field, its id 16
// bytes and a channel repeated from the event before it one byte.

#include <cstddef>
#include <string>
#include <vector>

#include "presence/event.h"

namespace presenced {

class PackedEvents {
 public:
  PackedEvents() = default;
  explicit PackedEvents(const std::vector<Event>& events);

  // Appends `event` after the ones already packed.
  void Append(const Event& event);

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The bytes the events take.
  size_t bytes() const { return bytes_.size(); }

  // Calls fn(const Event&) for each event in order. The Event is one object reused from call to
  // call (its strings keep their capacity, so decoding allocates only for the longest fields):
  // valid during the call only; copy it to keep it.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    Event event;
    for (size_t offset = 0; offset < bytes_.size();) {
      offset = DecodeAt(offset, event);
      fn(static_cast<const Event&>(event));
    }
  }

  // Returns the events as Events again (for a consumer that needs a vector of them).
  std::vector<Event> Unpack() const;

 private:
  // Decodes the event at `offset` into `event`, which holds the event before it (a repeated
  // channel is not stored again); returns the offset of the next one.
  size_t DecodeAt(size_t offset, Event& event) const;

  std::string bytes_;
  size_t count_ = 0;
  std::string last_channel_;  // the channel of the last event appended
};

}  // namespace presenced
