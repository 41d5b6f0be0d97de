// The `http` and `proxy` sections of the config file (CONTRACT §3), and resolving what they name:
// the TLS files of http.tls and the proxy from the environment when the file sets none.

#include <algorithm>

#include "config/config_sections.h"
#include "config/value_parsers.h"

namespace presenced::config_internal {
namespace {

// True for a bcrypt hash as htpasswd -B and Python's bcrypt write it: $2a$, $2b$ or $2y$, a
// two-digit cost, then 53 characters of bcrypt's base64.
bool IsBcryptHash(std::string_view text) {
  if (text.size() != 60 || !text.starts_with("$2") || text[3] != '$' || text[6] != '$') {
    return false;
  }
  if (text[2] != 'a' && text[2] != 'b' && text[2] != 'y') return false;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(text[4]) || !digit(text[5])) return false;
  return std::all_of(text.begin() + 7, text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/';
  });
}

void DecodeBasicAuthUsers(const MapReader& http, std::map<std::string, std::string>* users) {
  auto value = http.Get("basic_auth_users");
  if (!value) return;
  Diagnostics* diagnostics = http.diagnostics();
  if (!value->node.IsMap()) {
    diagnostics->Fail(value->path, "must be a mapping of user names to bcrypt hashes", value->line);
    return;
  }
  for (auto it = value->node.begin(); it != value->node.end(); ++it) {
    const int line = LineOf(it->first, value->line);
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
    const std::string path = JoinPath(value->path, name);
    if (!it->first.IsScalar() || name.empty() || name.find(':') != std::string::npos ||
        !IsHeaderValue(name)) {
      diagnostics->Fail(path, "must be a user name without ':' or control characters", line);
    } else if (users->contains(name)) {
      diagnostics->Fail(path, "duplicate user", line);
    } else if (!it->second.IsScalar() || !IsBcryptHash(it->second.Scalar())) {
      diagnostics->Fail(path,
                        "must be a bcrypt hash ($2b$..., 60 characters), as `htpasswd -nBC 10 "
                        "USER` prints after the colon",
                        LineOf(it->second, line));
    } else {
      (*users)[name] = it->second.Scalar();
    }
  }
}

// Reads a proxy URL from the environment: the first variable of `names` that is set and not
// empty. An invalid one is an error that names the variable, not its value (it may hold a
// password).
std::string ProxyFromEnv(const EnvLookup& env, std::initializer_list<const char*> names,
                         Diagnostics* diagnostics) {
  for (const char* name : names) {
    const std::string value = env(name).value_or("");
    if (value.empty()) continue;
    if (auto url = NormalizeProxyUrl(value)) return *url;
    diagnostics->FailOutsideFile("environment variable " + std::string(name) +
                                 " is not an http:// proxy URL like http://proxy:3128");
    return "";
  }
  return "";
}

}  // namespace

void DecodeHttpSecurity(const MapReader& http, HttpConfig* http_config) {
  MapReader tls = http.Map("tls", {"cert_file", "key_file", "client_ca_file"});
  tls.String("cert_file", &http_config->tls.cert_file);
  tls.String("key_file", &http_config->tls.key_file);
  tls.String("client_ca_file", &http_config->tls.client_ca_file);
  const HttpTlsConfig& files = http_config->tls;
  if (!files.cert_file.empty() && files.key_file.empty()) {
    tls.Fail("key_file", "is required with cert_file");
  } else if (files.cert_file.empty() && !files.key_file.empty()) {
    tls.Fail("cert_file", "is required with key_file");
  } else if (files.cert_file.empty() && !files.client_ca_file.empty()) {
    tls.Fail("client_ca_file", "needs cert_file and key_file (mutual TLS is TLS first)");
  }
  DecodeBasicAuthUsers(http, &http_config->basic_auth_users);
}

void ResolveHttpTls(const EnvLookup& env, Diagnostics* diagnostics, HttpTlsConfig* tls) {
  struct File {
    std::string* path;
    const char* key;
    bool secret;
  };
  for (const File& file : {File{&tls->cert_file, "http.tls.cert_file", false},
                           File{&tls->key_file, "http.tls.key_file", true},
                           File{&tls->client_ca_file, "http.tls.client_ca_file", false}}) {
    if (file.path->empty()) continue;
    *file.path = CredentialPath(env, *file.path);
    Result<std::string> text = ReadTextFile(*file.path);
    if (text.ok()) continue;
    if (file.secret) {
      diagnostics->MissingCredential(file.key, text.error().message);
    } else {
      diagnostics->FailAt(file.key, text.error().message);
    }
  }
}

void DecodeProxy(const MapReader& top, ProxyConfig* proxy) {
  MapReader r = top.Map("proxy", {"url", "no_proxy"});
  std::string url;
  if (r.String("url", &url) && !url.empty()) {
    if (auto normalized = NormalizeProxyUrl(url)) {
      proxy->url = *normalized;
    } else {
      // Not echoed: the user info may hold a password.
      r.Fail("url", "must be an http:// proxy URL like http://proxy.example.com:3128");
    }
  }
  r.String("no_proxy", &proxy->no_proxy);
}

void ResolveProxy(const EnvLookup& env, Diagnostics* diagnostics, ProxyConfig* proxy) {
  if (!proxy->url.empty()) {
    proxy->https_proxy = proxy->http_proxy = proxy->url;
    proxy->bypass = proxy->no_proxy;
    return;
  }
  // As curl: the lower-case name first; ALL_PROXY for any scheme without its own.
  proxy->https_proxy =
      ProxyFromEnv(env, {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}, diagnostics);
  proxy->http_proxy =
      ProxyFromEnv(env, {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}, diagnostics);
  proxy->bypass = !proxy->no_proxy.empty() ? proxy->no_proxy
                                           : env("no_proxy").value_or(env("NO_PROXY").value_or(""));
}

}  // namespace presenced::config_internal
