// libFuzzer target: ParseBatchPresence on any body, with the HTTP status taken from the first
// byte, ParseBatchPresenceViews on the same body (reading every byte of every view during the
// call, so that AddressSanitizer sees one that points at freed or foreign memory), and
// ParsePresencePage (one channel's presence page) on the same body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ably/batch_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 400, 401, 404, 500, 503};
  const int status = kStatuses[data[0] % std::size(kStatuses)];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  presenced::ParseBatchPresence(status, body);
  // The in-place path: 64 readable bytes after the body, as the HTTP client hands them over.
  const std::string padded = std::string(body) + std::string(64, '\0');
  presenced::ParseBatchPresence(status, std::string_view(padded).substr(0, body.size()), {}, {},
                                64);
  size_t sum = 0;
  auto touch = [&sum](std::string_view text) {
    for (char c : text) sum += static_cast<unsigned char>(c);
  };
  presenced::ParseBatchPresenceViews(
      status, std::string_view(padded).substr(0, body.size()), {}, {}, 64,
      [&](const presenced::BatchPresenceViews& views) {
        for (const presenced::ChannelPresenceView& channel : views.channels) {
          touch(channel.channel);
          for (const presenced::MemberView& m : channel.members) {
            touch(m.client_id);
            touch(m.connection_id);
            touch(m.id);
            touch(m.data);
            touch(m.encoding);
          }
        }
      });
  if (sum == 1) return 0;  // keeps the reads
  std::vector<presenced::Member> members;
  presenced::AblyError error;
  presenced::ParsePresencePage(body, members, error);
  return 0;
}
