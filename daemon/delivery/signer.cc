#include "delivery/signer.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include <sstream>

namespace presenced {
namespace {

// Poco 1.11's SHA2Engine lacks the BLOCK_SIZE/DIGEST_SIZE constants and default constructor
// HMACEngine needs; this adapter supplies them for SHA-256.
class Sha256Engine : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

std::string Base64(const Poco::DigestEngine::Digest& digest) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(reinterpret_cast<const char*>(digest.data()),
                static_cast<std::streamsize>(digest.size()));
  encoder.close();
  return out.str();
}

std::string HmacSha256Base64(std::string_view key, std::string_view message) {
  Poco::HMACEngine<Sha256Engine> hmac(key.data(), key.size());
  hmac.update(message.data(), message.size());
  return Base64(hmac.digest());
}

// Returns whether `text` is canonical-shaped standard base64 (alphabet, padding, length).
bool IsBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// Decodes standard base64; false when `text` is not valid base64.
bool DecodeBase64(std::string_view text, std::string& out) {
  if (!IsBase64(text)) return false;
  try {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in);
    std::ostringstream decoded;
    decoded << decoder.rdbuf();
    out = decoded.str();
    return true;
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace

std::string StandardWebhookSignature(std::string_view secret, std::string_view id,
                                     int64_t timestamp_seconds, std::string_view body) {
  constexpr std::string_view kPrefix = "whsec_";
  std::string key(secret);
  if (secret.substr(0, kPrefix.size()) == kPrefix) {
    std::string decoded;
    if (DecodeBase64(secret.substr(kPrefix.size()), decoded)) key = std::move(decoded);
  }
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).append(".").append(std::to_string(timestamp_seconds)).append(".");
  message.append(body);
  return "v1," + HmacSha256Base64(key, message);
}

std::string AblySignature(std::string_view secret, std::string_view body) {
  return HmacSha256Base64(secret, body);
}

}  // namespace presenced
