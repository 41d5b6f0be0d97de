#include "web/http_security.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <crypt.h>
#include <openssl/ssl.h>

#include <sstream>

#include "common/ascii.h"

namespace presenced {
namespace {

// Hashed in place of an unknown user's hash (bcrypt of a random string), so that answering
// takes as long whether or not the user exists.
constexpr const char* kDummyHash = "$2b$10$vvGvM5ZuBnTrRH9J2TYpAejIYcgzV8yz48ftggjHN47.KWc5gMmmK";

// True when `password` hashes to `hash` (crypt(3) with the hash as its setting).
bool Matches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* computed = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (computed == nullptr || computed[0] == '*') return false;  // crypt's failure tokens
  const std::string_view result(computed);
  if (result.size() != hash.size()) return false;
  unsigned char difference = 0;  // compared in constant time
  for (size_t i = 0; i < hash.size(); ++i) {
    difference |= static_cast<unsigned char>(result[i] ^ hash[i]);
  }
  return difference == 0;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  try {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in);
    std::string out((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
    return out;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace

Result<std::shared_ptr<const HttpSecurity>> MakeHttpSecurity(
    const HttpTlsConfig& tls, const std::map<std::string, std::string>& users) {
  auto security = std::make_shared<HttpSecurity>();
  security->users = users;
  if (!tls.enabled()) return std::shared_ptr<const HttpSecurity>(std::move(security));
  try {
    Poco::Net::Context::Params params;
    params.certificateFile = tls.cert_file;
    params.privateKeyFile = tls.key_file;
    params.loadDefaultCAs = false;
    // With client_ca_file: a client certificate signed by it is required (mutual TLS).
    params.verificationMode = tls.client_ca_file.empty() ? Poco::Net::Context::VERIFY_NONE
                                                         : Poco::Net::Context::VERIFY_STRICT;
    params.caLocation = tls.client_ca_file;
    security->tls = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    security->tls->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // A client certificate is checked against client_ca_file, not against a host name.
    security->tls->enableExtendedCertificateVerification(false);
    if (SSL_CTX_check_private_key(security->tls->sslContext()) != 1) {
      return Error{"http.tls: " + tls.key_file + " is not the private key of " + tls.cert_file};
    }
    // Sessions are not cached: each connection does a full handshake (no cache id to manage).
    security->tls->disableStatelessSessionResumption();
  } catch (const Poco::Exception& e) {
    // Poco names the file and OpenSSL's reason; the key itself is never part of it.
    return Error{"http.tls: " + e.displayText()};
  }
  return std::shared_ptr<const HttpSecurity>(std::move(security));
}

bool BasicAuthAccepts(const std::map<std::string, std::string>& users,
                      std::string_view authorization) {
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size() ||
      AsciiLower(authorization.substr(0, kScheme.size())) != kScheme) {
    return false;
  }
  const std::optional<std::string> decoded = DecodeBase64(authorization.substr(kScheme.size()));
  if (!decoded) return false;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const std::string user = decoded->substr(0, colon);
  const std::string password = decoded->substr(colon + 1);
  const auto it = users.find(user);
  if (it == users.end()) {
    Matches(password, kDummyHash);
    return false;
  }
  return Matches(password, it->second);
}

}  // namespace presenced
