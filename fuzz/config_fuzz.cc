// libFuzzer target: the config loader (ParseConfig) on any text, in process.
//
// presenced itself parses a file in a bounded child first (config/contained.h), because yaml-cpp
// 0.7 has inputs on which it loops or allocates without end. This target parses in process, where
// libFuzzer sees coverage and runs at full speed (a fork per input is ~100x slower). The one
// trigger we knew (jbeder/yaml-cpp#1040, inside YAML::LoadAll) no longer reaches yaml-cpp: the
// loader reads one document with YAML::Load and finds a second one itself. A new yaml-cpp hang
// found here shows up as a libFuzzer timeout or out-of-memory: add its input as a fixture
// (tests/testdata/config/invalid-yaml-cpp-*.yaml), which checks that presenced contains it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const presenced::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "ABLY_API_KEY") return "app.key:fuzz-secret";
    return std::nullopt;
  };
  const auto config =
      presenced::ParseConfig(std::string_view(reinterpret_cast<const char*>(data), size), "f", env);
  (void)config;
  return 0;
}
