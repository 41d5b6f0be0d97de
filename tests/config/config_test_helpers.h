#pragma once

// Helpers for the config tests: FakeEnv, an EnvLookup over a fixed map so no test depends on the
// real environment, and MustParse/MustFail, which parse YAML text and expect success/failure.

#include <gtest/gtest.h>

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

// Parses `yaml` and expects success; returns the config (default-constructed on failure).
inline Config MustParse(const std::string& yaml, const EnvLookup& env = KeyEnv()) {
  Result<Config> config = ParseConfig(yaml, "test.yaml", env);
  EXPECT_TRUE(config.ok()) << config.error().message;
  return config.ok() ? std::move(config).value() : Config{};
}

// Parses `yaml` and expects failure; returns the error message ("" if it parsed).
inline std::string MustFail(const std::string& yaml, const EnvLookup& env = KeyEnv()) {
  Result<Config> config = ParseConfig(yaml, "test.yaml", env);
  EXPECT_FALSE(config.ok());
  return config.ok() ? "" : config.error().message;
}

}  // namespace presenced::testing
