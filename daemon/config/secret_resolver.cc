// Resolves what the config file only names: the Ably credential, webhook signing secrets and the
// state directory. No message here ever contains a secret value; variable names and file paths
// are not secrets and are named so the user knows what to fix.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "config/config_sections.h"
#include "config/value_parsers.h"

namespace presenced::config_internal {
namespace {

// No config or key file is this large; the cap also ends a read of /dev/zero or the like.
constexpr size_t kMaxTextFileBytes = 4u << 20;

constexpr std::string_view kKeyShape = "does not hold a key of the form appId.keyId:secret";

std::string StripTrailingWhitespace(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// Returns the variable's value without trailing whitespace; "" when unset.
std::string EnvValue(const EnvLookup& env, const std::string& name) {
  if (name.empty()) return "";
  return StripTrailingWhitespace(env(name).value_or(""));
}

bool IsToken(std::string_view text) {
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
}

bool IsBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t padding = text.size() - std::min(text.find_last_not_of('=') + 1, text.size());
  if (padding > 2) return false;
  return std::all_of(text.begin(), text.end() - padding, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

}  // namespace

bool IsEnvName(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

void ReadEnvName(const MapReader& section, std::string_view key, std::string* out) {
  auto value = section.Get(key);
  if (!value) return;
  if (!value->node.IsScalar()) {
    section.Fail(key, "must be a string");
  } else if (!value->node.Scalar().empty() && !IsEnvName(value->node.Scalar())) {
    section.Fail(key,
                 "must be the name of an environment variable (like ABLY_API_KEY), not a value");
  } else {
    *out = value->node.Scalar();
  }
}

Result<std::string> ReadTextFile(const std::string& path) {
  auto failure = [&path](int error) {
    return Error{"cannot read " + path + ": " + std::strerror(error)};
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failure(errno);
  std::string text;
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return failure(error);
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxTextFileBytes) {
      ::close(fd);
      return Error{"cannot read " + path + ": larger than " +
                   std::to_string(kMaxTextFileBytes >> 20) + " MiB"};
    }
  }
  ::close(fd);
  return text;
}

void ResolveCredentials(const EnvLookup& env, Diagnostics* diagnostics, AblyConfig* ably) {
  if (!ably->key_file.empty()) {
    ably->key_file = CredentialPath(env, ably->key_file);
    std::optional<std::string> key =
        ReadCredentialFile(env, ably->key_file, "ably.key_file", diagnostics);
    if (!key) return;
    if (!IsAblyKey(*key)) {
      diagnostics->FailAt("ably.key_file", ably->key_file + " " + std::string(kKeyShape));
      return;
    }
    ably->auth = AblyConfig::Auth::kBasic;
    ably->credential = Secret(std::move(*key));
    return;
  }
  if (!ably->token_file.empty()) {
    // Kept resolved: the token is read again from it when it changes.
    ably->token_file = CredentialPath(env, ably->token_file);
    ably->auth = AblyConfig::Auth::kTokenFile;
    std::optional<std::string> token =
        ReadCredentialFile(env, ably->token_file, "ably.token_file", diagnostics);
    if (!token) return;
    if (token->empty() || !IsToken(*token)) {
      diagnostics->FailAt("ably.token_file",
                          ably->token_file + " is empty or holds spaces or control characters");
      return;
    }
    ably->credential = Secret(std::move(*token));
    return;
  }
  if (!ably->auth_url.empty()) {
    ably->auth = AblyConfig::Auth::kAuthUrl;
    ably->credential = Secret();
    return;
  }
  if (std::string token = EnvValue(env, ably->token_env); !token.empty()) {
    if (!IsToken(token)) {
      diagnostics->FailAt("ably.token_env",
                          ably->token_env + " holds spaces or control characters");
      return;
    }
    ably->auth = AblyConfig::Auth::kBearer;
    ably->credential = Secret(std::move(token));
    return;
  }
  if (std::string key = EnvValue(env, ably->key_env); !key.empty()) {
    if (!IsAblyKey(key)) {
      // Not "(line 1)" of a file that never mentions the variable: name where the key came from.
      if (diagnostics->InFile("ably.key_env")) {
        diagnostics->FailAt("ably.key_env", ably->key_env + " " + std::string(kKeyShape));
      } else {
        diagnostics->FailOutsideFile("environment variable " + ably->key_env +
                                     " (the default ably.key_env) " + std::string(kKeyShape));
      }
      return;
    }
    ably->auth = AblyConfig::Auth::kBasic;
    ably->credential = Secret(std::move(key));
    return;
  }
  const std::string key_env =
      ably->key_env.empty() ? "ably.key_env" : ably->key_env + " (ably.key_env)";
  const std::string missing = "no credentials: set " + key_env +
                              ", ably.key_file, ably.token_env, ably.token_file or ably.auth_url";
  if (diagnostics->InFile("ably")) {
    diagnostics->MissingCredential("ably", missing);
  } else {
    diagnostics->MissingCredentialOutsideFile(missing);
  }
}

void ResolveWebhookSecrets(const EnvLookup& env, Diagnostics* diagnostics,
                           std::vector<WebhookConfig>* webhooks) {
  for (size_t i = 0; i < webhooks->size(); ++i) {
    WebhookConfig& hook = (*webhooks)[i];
    std::string secret, origin, path;
    if (!hook.secret_file.empty()) {
      path = IndexPath("webhooks", i) + ".secret_file";
      hook.secret_file = CredentialPath(env, hook.secret_file);
      origin = hook.secret_file;
      std::optional<std::string> text =
          ReadCredentialFile(env, hook.secret_file, path, diagnostics);
      if (!text) continue;
      secret = std::move(*text);
      if (secret.empty()) {
        diagnostics->FailAt(path, hook.secret_file + " is empty");
        continue;
      }
    } else if (!hook.secret_env.empty()) {
      path = IndexPath("webhooks", i) + ".secret_env";
      origin = hook.secret_env;
      secret = EnvValue(env, hook.secret_env);
      if (secret.empty()) {
        diagnostics->MissingCredential(
            path, "environment variable " + hook.secret_env + " is not set or empty");
        continue;
      }
    } else {
      continue;
    }
    if (secret.starts_with("whsec_") && !IsBase64(secret.substr(6))) {
      diagnostics->FailAt(path, origin + " holds a whsec_ secret that is not valid base64");
    } else {
      hook.secret = Secret(std::move(secret));
    }
  }
}

void ResolveStateDir(const EnvLookup& env, StateConfig* state) {
  // systemd passes one path per StateDirectory= entry, separated by colons.
  std::string dirs = env("STATE_DIRECTORY").value_or("");
  std::string first = dirs.substr(0, dirs.find(':'));
  if (!first.empty()) state->dir = first;
}

}  // namespace presenced::config_internal
