#pragma once

// HttpSecurity: what protects the HTTP endpoints, as Prometheus' exporter-toolkit does for every
// exporter (CONTRACT §3 http.tls, http.basic_auth_users): a TLS server context built from
// http.tls (with client certificates required when client_ca_file is set) and the basic-auth
// users with their bcrypt hashes, checked with the system's crypt library. Immutable once made;
// the server swaps the whole object on a reload. Used by http_server.cc only.

#include <Poco/Net/Context.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/mutex.h"
#include "common/result.h"
#include "config/config.h"

namespace presenced {

struct HttpSecurity {
  Poco::Net::Context::Ptr tls;               // null: plain HTTP
  std::map<std::string, std::string> users;  // name → bcrypt hash; empty: no authentication
};

// SecurityHolder: the HttpSecurity in force, swapped whole by a reload. Thread-safe.
class SecurityHolder {
 public:
  explicit SecurityHolder(std::shared_ptr<const HttpSecurity> security)
      : security_(std::move(security)) {}
  std::shared_ptr<const HttpSecurity> Get() {
    MutexLock lock(mu_);
    return security_;
  }
  void Set(std::shared_ptr<const HttpSecurity> security) {
    MutexLock lock(mu_);
    security_.swap(security);
  }

 private:
  Mutex mu_;
  std::shared_ptr<const HttpSecurity> security_ GUARDED_BY(mu_);
};

// Builds the TLS context from the files of `tls` (read now: a reload reads them again). An
// Error names the key and why (a missing file, a key that does not match the certificate).
Result<std::shared_ptr<const HttpSecurity>> MakeHttpSecurity(
    const HttpTlsConfig& tls, const std::map<std::string, std::string>& users);

// True when the Authorization header value `authorization` carries Basic credentials of one of
// `users` whose password matches its bcrypt hash. An unknown user costs the same hashing time.
bool BasicAuthAccepts(const std::map<std::string, std::string>& users,
                      std::string_view authorization);

}  // namespace presenced
