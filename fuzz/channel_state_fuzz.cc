// libFuzzer target: ChannelState::Decode on any bytes (a stored snapshot read back). What decodes
// must encode to bytes that decode to the same state.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "presence/channel_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using presenced::ChannelState;
  const auto state =
      ChannelState::Decode(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!state.ok()) return 0;
  const auto again = ChannelState::Decode(state->Encode());
  if (!again.ok() || !(*again == *state)) std::abort();
  return 0;
}
