#pragma once

// FakeEnv: an EnvLookup over a fixed map, so config tests never depend on the real environment.

#include <map>
#include <string>

#include "config/config_loader.h"

namespace presenced::testing {

// A syntactically valid Ably key for tests; its secret part must never show up in a message.
inline constexpr const char* kTestKey = "appid1.keyid1:s3cr3t-K3Y-value";
inline constexpr const char* kTestKeySecret = "s3cr3t-K3Y-value";

inline EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The environment most tests run with: just a valid key in ABLY_API_KEY.
inline EnvLookup KeyEnv() { return FakeEnv({{"ABLY_API_KEY", kTestKey}}); }

}  // namespace presenced::testing
