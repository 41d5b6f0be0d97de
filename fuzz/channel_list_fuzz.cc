// libFuzzer target: ParseChannelList (one page of GET /channels) on any body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ably/channel_list_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> names;
  const presenced::Status parsed = presenced::ParseChannelList(
      std::string_view(reinterpret_cast<const char*>(data), size), names);
  (void)parsed;
  return 0;
}
