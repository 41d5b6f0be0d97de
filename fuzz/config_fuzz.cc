// libFuzzer target: the config loader on any text.
//
// yaml-cpp 0.7 still has inputs on which it loops or allocates without end (the one we knew,
// jbeder/yaml-cpp#1040, is avoided by LoadOneDocument). presenced contains them by parsing in a
// bounded child first (config/contained.h), and so does this target: each input is parsed in a
// bounded child, then again in process only if the child finished. The in-process parse is where
// libFuzzer sees coverage and ASan/UBSan see bugs; a child that crashes (not one stopped at a
// bound) aborts the run, so crashes in the child are not lost.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "config/config_loader.h"
#include "config/contained.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using presenced::config_internal::Contained;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const presenced::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "ABLY_API_KEY") return "app.key:fuzz-secret";
    return std::nullopt;
  };
  auto parse = [&] { return presenced::ParseConfig(text, "fuzz.yaml", env); };
  presenced::config_internal::Bounds bounds;
  bounds.time = std::chrono::seconds(2);
  const Contained outcome = presenced::config_internal::RunContained(bounds, [&] {
    auto config = parse();
    return config.ok() ? presenced::Status(presenced::Ok{}) : presenced::Status(config.error());
  });
  if (outcome.kind == Contained::Kind::kCrashed) {
    std::fprintf(stderr, "config_fuzz: the parse crashed in the child: %s\n",
                 outcome.message.c_str());
    std::abort();
  }
  if (outcome.kind != Contained::Kind::kOk && outcome.kind != Contained::Kind::kFailed) return 0;
  const auto config = parse();
  if (config.ok() != (outcome.kind == Contained::Kind::kOk)) std::abort();  // must be deterministic
  return 0;
}
