// libFuzzer target: the webhook bodies (AblyBody, EventsBody) for events whose strings come from
// the input. Every body must be valid JSON: ids, names and encodings are escaped, never raw.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/payload.h"

namespace {

// Takes the next '\0'-terminated field of `input` (the rest when there is no '\0'). Fields are
// valid UTF-8 in production (simdjson validated the response they came from); others become "".
std::string Field(std::string_view& input) {
  const size_t end = input.find('\0');
  std::string field(input.substr(0, end));
  input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
  if (!simdjson::validate_utf8(field.data(), field.size())) field.clear();
  return field;
}

void RequireJson(const std::string& body) {
  simdjson::dom::parser parser;
  if (parser.parse(body).error() != simdjson::SUCCESS) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using presenced::Action;
  using presenced::Event;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<Event> events;
  while (!input.empty() && events.size() < 64) {
    Event event;
    const uint8_t selector = static_cast<uint8_t>(input.front());
    input.remove_prefix(1);
    event.action = static_cast<Action>(selector % 4 + 1);
    event.channel = Field(input);
    event.client_id = Field(input);
    event.connection_id = Field(input);
    event.member_id = Field(input);
    event.encoding = Field(input);
    // data is raw JSON text by contract (it passed the parser); keep it valid here.
    event.data = selector & 0x10 ? R"({"k":[1,"\u00e9"]})" : "";
    event.timestamp = static_cast<int64_t>(selector) << 40;
    event.observed_at = -event.timestamp;
    event.id = presenced::EventId(event.channel, event.client_id, event.connection_id, event.action,
                                  event.member_id);
    events.push_back(std::move(event));
  }
  const std::string id = presenced::BatchId("main", events);
  RequireJson(presenced::AblyBody("main", id, 1'700'000'000'000, events));
  RequireJson(presenced::EventsBody(events));
  return 0;
}
