// libFuzzer target: ParseBatchPresence on any body, with the HTTP status taken from the first byte.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ably/batch_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 400, 401, 404, 500, 503};
  const int status = kStatuses[data[0] % std::size(kStatuses)];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  presenced::ParseBatchPresence(status, body);
  return 0;
}
